"""Access log lines a request cannot forge: what the client sent is escaped before it is logged.

Both servers log values taken from the request: granian the percent-decoded
path, gunicorn the request line and headers (bytes past ASCII included). A
newline, a carriage return, U+0085 or U+2028 among them would start a line
the client wrote; terminal escapes would rewrite what an operator sees.
Control characters become ``\\xNN`` (``\\uNNNN`` past U+00FF) and a backslash
``\\\\``, so every escape in the log is unambiguous.

serve.py hands granian a logging configuration (serve-logging.json) with
EscapeRequestValues on its access handler; gunicorn.conf.py logs through a
logger class that escapes with escape().
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

#: C0 controls, DEL, C1 controls, the Unicode line and paragraph separators.
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029"
_UNSAFE = re.compile(f"[{_CONTROL}\\\\]")
_UNSAFE_OR_QUOTE = re.compile(f'[{_CONTROL}\\\\"]')


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in '\\"':
        return "\\" + char
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(value: str, *, quotes: bool = True) -> str:
    """value with control characters and backslashes escaped, and double quotes
    too unless quotes is false (for a logger that escapes them itself)."""
    return (_UNSAFE_OR_QUOTE if quotes else _UNSAFE).sub(_escaped, value)


class EscapeRequestValues(logging.Filter):
    """Escapes every string among a log record's arguments (granian passes its
    access log's fields as one mapping)."""

    def filter(self, record: logging.LogRecord) -> bool:
        arguments = record.args
        if isinstance(arguments, Mapping):
            record.args = {
                key: escape(value) if isinstance(value, str) else value
                for key, value in arguments.items()
            }
        elif isinstance(arguments, tuple):
            record.args = tuple(
                escape(value) if isinstance(value, str) else value for value in arguments
            )
        return True
