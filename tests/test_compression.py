"""Pages and static files: compressed once, served in the encoding a client accepts."""

from __future__ import annotations

import gzip
import hashlib
import random
from pathlib import Path

import brotli
import pytest
from flask.testing import FlaskClient

from tests.conftest import HTMX_PARTIAL, PROJECT_ROOT, WritePost, parse
from webapp.caching import cache_key
from webapp.compression import choose_encoding, compress_one

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_pages_and_fragments_are_compressed_when_accepted(
    write_post: WritePost, client: FlaskClient, encoding: str
) -> None:
    write_post("a.md", tags='["essay"]', body="Some text. " * 100)
    for url, headers in (("/posts/a/", {}), ("/partials/tags/essay/", HTMX_PARTIAL)):
        plain = client.get(url, headers=headers)
        packed = client.get(url, headers={**headers, "Accept-Encoding": f"{encoding}, identity"})
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == encoding
        assert DECODE[encoding](packed.data) == plain.data
        assert len(packed.data) < len(plain.data)
        assert "Accept-Encoding" in packed.vary and "Accept-Encoding" in plain.vary
        assert packed.headers["ETag"] != plain.headers["ETag"]
        again = client.get(
            url,
            headers={
                **headers,
                "Accept-Encoding": encoding,
                "If-None-Match": packed.headers["ETag"],
            },
        )
        assert again.status_code == 304


def test_brotli_is_preferred_when_both_are_accepted(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md", body="Text. " * 200)
    response = client.get("/posts/a/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"


def test_assets_have_content_hashed_urls_cached_for_a_year(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md")
    page = parse(client.get("/posts/a/"))
    urls = [tag["href"] for tag in page.select("link[rel=stylesheet]")]
    urls += [tag["src"] for tag in page.select("script[src]")]
    assert len(urls) >= 4
    for url in urls:
        path, version = url.split("?v=")
        body = (PROJECT_ROOT / path.lstrip("/")).read_bytes()
        assert version == hashlib.blake2b(body, digest_size=6).hexdigest()
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == body
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        stale = client.get(path + "?v=0000")
        assert stale.headers["Cache-Control"] == "public, max-age=300"


def test_assets_are_compressed_and_revalidate(client: FlaskClient) -> None:
    original = (PROJECT_ROOT / "static/vendor/htmx-4.0.1.min.js").read_bytes()
    packed = client.get("/static/vendor/htmx-4.0.1.min.js", headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert packed.content_type == "text/javascript; charset=utf-8"
    assert brotli.decompress(packed.data) == original
    again = client.get(
        "/static/vendor/htmx-4.0.1.min.js",
        headers={"Accept-Encoding": "br", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "url",
    [
        "/static/../pyproject.toml",
        "/static/%2e%2e/pyproject.toml",
        "/static/css/../../README.md",
        "/static/nothing.css",
        "/static/vendor/",
    ],
)
def test_nothing_outside_static_is_served(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_dotfiles_in_static_are_not_served(client: FlaskClient, tmp_path: Path) -> None:
    hidden = PROJECT_ROOT / "static" / ".secret-test-file"
    hidden.write_text("secret")
    try:
        assert client.get("/static/.secret-test-file").status_code == 404
    finally:
        hidden.unlink()


def test_each_encoding_is_made_when_a_client_first_asks_for_it(
    write_post: WritePost, client: FlaskClient
) -> None:
    write_post("a.md", body="Some text. " * 100)
    responses = client.application.extensions["response_cache"]

    def kept() -> dict[str, bytes]:
        with client.application.test_request_context("/posts/a/"):
            key = cache_key()
        assert key is not None
        stored = responses.get(key)
        assert stored is not None
        return dict(stored.encoded)

    plain = client.get("/posts/a/")
    assert plain.headers["X-Cache"] == "miss"
    assert kept() == {}  # nobody asked for it compressed: nothing compressed
    for encoding in ("br", "gzip"):
        packed = client.get("/posts/a/", headers={"Accept-Encoding": encoding})
        assert packed.headers["X-Cache"] == "hit"
        assert packed.headers["Content-Encoding"] == encoding
        assert DECODE[encoding](packed.data) == plain.data
    assert set(kept()) == {"br", "gzip"}
    assert client.get("/posts/a/").data == plain.data


def test_an_encoding_that_cannot_shrink_a_body_is_not_offered() -> None:
    noise = random.Random(1).randbytes(4000)
    assert compress_one(b"x" * 100, "br") == b""  # too small to be worth a header
    assert compress_one(noise, "gzip") == b""
    assert compress_one(noise, "br") == b""
    # Kept as tried-and-empty, it is never chosen: the body goes as it is.
    assert choose_encoding("br, gzip", {"br": b"", "gzip": b""}) is None
    assert choose_encoding("br, gzip", {"br": b"", "gzip": b"z"}) == "gzip"
