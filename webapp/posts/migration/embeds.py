"""Embeds a strict Content Security Policy would block, made into links a reader can click.

The site's policy allows no third-party frames, scripts or inline styles, so
an author's ``<iframe>`` or embed ``<script>`` would silently vanish.
YouTube and Vimeo frames become links (YouTube's with its thumbnail, which
the policy's ``img-src https:`` allows), a Gist's script a link to the gist,
X/Twitter's ``widgets.js`` is dropped (the quoted post in its blockquote
stays readable); any other frame becomes a link to its address and any
other script from elsewhere is removed (an inline script is left to the
author and to ``BLOG_SANITIZE``). Each is reported, as is every ``style=`` attribute
(the policy ignores them), with its line.
"""

from __future__ import annotations

import re
from html import escape, unescape
from urllib.parse import parse_qs, quote, urlsplit

from .code import Lines, Regions, code_regions
from .report import Expanded

# An element's content stops at the next element of its kind, so unclosed
# ones fail fast rather than at the end of the text.
_IFRAME = re.compile(
    r"<iframe\b(?P<attributes>[^<>]*)>(?:[^<]|<(?!/?iframe\b))*</iframe\s*>", re.IGNORECASE
)
_SCRIPT = re.compile(
    r"<script\b(?P<attributes>[^<>]*)>(?:[^<]|<(?!/?script\b))*</script\s*>", re.IGNORECASE
)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_STYLE = re.compile(r"""<[a-z][^<>]*\sstyle\s*=""", re.IGNORECASE)
_YOUTUBE = re.compile(r"(?:youtube(?:-nocookie)?\.com/embed/|youtu\.be/)(?P<id>[\w-]{6,})")
_VIMEO = re.compile(r"player\.vimeo\.com/video/(?P<id>\d+)")
_GIST = re.compile(r"gist\.github\.com/(?P<user>[\w-]+)/(?P<id>\w+)\.js")
_WIDGETS = ("platform.twitter.com/widgets.js", "platform.x.com/widgets.js")


def youtube_link(video: str, title: str = "", start: str = "") -> str:
    """A YouTube video as its thumbnail linking to it."""
    url = f"https://www.youtube.com/watch?v={quote(video)}" + (
        f"&t={quote(start)}s" if start else ""
    )
    thumbnail = f"https://i.ytimg.com/vi/{quote(video)}/hqdefault.jpg"
    label = f"{title or 'Video'} (watch on YouTube)"
    return (
        f'<a class="video-link" href="{escape(url)}">'
        f'<img src="{escape(thumbnail)}" alt="{escape(label)}" '
        'width="480" height="360" loading="lazy"></a>'
    )


def vimeo_link(video: str, title: str = "") -> str:
    label = f"{title or 'Video'} (watch on Vimeo)"
    return f'<a class="video-link" href="https://vimeo.com/{quote(video)}">{escape(label)}</a>'


def gist_link(user: str, gist: str, file: str = "") -> str:
    url = f"https://gist.github.com/{quote(user)}/{quote(gist)}"
    if file:
        url += "#file-" + re.sub(r"[^\w-]", "-", file.lower())
    label = f"{file} (gist by {user})" if file else f"Gist by {user}"
    return f'<a class="embed-link" href="{escape(url)}">{escape(label)}</a>'


def has_embeds(text: str) -> bool:
    lowered = text.lower()
    return "<iframe" in lowered or "<script" in lowered or "style=" in lowered


def replace_embeds(text: str) -> Expanded:
    """Frames and scripts outside code replaced by links; what the policy blocks reported."""
    if not has_embeds(text):
        return Expanded(text)
    code = Regions(code_regions(text))
    problems: list[tuple[int, str]] = []

    line_of = Lines(text).of

    def frame(match: re.Match[str]) -> str:
        if code.contains(match.start()):
            return match.group()
        attributes = _attributes(match.group("attributes"))
        src, title = attributes.get("src", ""), attributes.get("title", "")
        youtube, vimeo = _YOUTUBE.search(src), _VIMEO.search(src)
        if youtube:
            start = parse_qs(urlsplit(src).query).get("start", [""])[0]
            return youtube_link(youtube.group("id"), title, start)
        if vimeo:
            return vimeo_link(vimeo.group("id"), title)
        host = urlsplit(src).hostname or "an unknown address"
        problems.append(
            (line_of(match.start()), f"a frame from {host} is blocked by the CSP; shown as a link")
        )
        label = title or f"Embedded content from {host}"
        return f'<a class="embed-link" href="{escape(src)}">{escape(label)}</a>'

    def script(match: re.Match[str]) -> str:
        if code.contains(match.start()):
            return match.group()
        src = _attributes(match.group("attributes")).get("src", "")
        gist = _GIST.search(src)
        if gist:
            file = parse_qs(urlsplit(src).query).get("file", [""])[0]
            return gist_link(gist.group("user"), gist.group("id"), file)
        if any(widget in src for widget in _WIDGETS):
            return ""  # the blockquote above it is the post, readable as it is
        if not src:
            # The author's own script stays (BLOG_SANITIZE removes it); it cannot run.
            problems.append((line_of(match.start()), "an inline script is blocked by the CSP"))
            return match.group()
        where = urlsplit(src).hostname or src
        problems.append(
            (line_of(match.start()), f"a script ({where}) is blocked by the CSP; removed")
        )
        return ""

    text_out = _IFRAME.sub(frame, text)
    text_out = _SCRIPT.sub(script, text_out) if "<script" in text_out.lower() else text_out
    for match in _STYLE.finditer(text):
        if not code.contains(match.start()):
            problems.append((line_of(match.start()), "a style= attribute is ignored under the CSP"))
    problems.sort()
    return Expanded(text_out, (), tuple(problems))


def _attributes(markup: str) -> dict[str, str]:
    return {
        name.lower(): unescape(value.strip("\"'")) for name, value in _ATTRIBUTE.findall(markup)
    }
