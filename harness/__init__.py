"""Process helpers shared by the tests and the benchmarks.

Free ports, servers started in their own process group and stopped as one,
waiting for a first answer over HTTP, a real redis-server, and nginx. Neither the
tests nor ``bench`` import each other: both import this package.
"""

from .nginx import nginx, nginx_command
from .processes import (
    PROJECT_ROOT,
    RedisServer,
    Running,
    Server,
    free_port,
    redis_server,
    server,
    start_session,
    stop,
    wait_for_http,
)

__all__ = [
    "PROJECT_ROOT",
    "RedisServer",
    "Running",
    "Server",
    "free_port",
    "nginx",
    "nginx_command",
    "redis_server",
    "server",
    "start_session",
    "stop",
    "wait_for_http",
]
