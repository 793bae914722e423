"""Synthetic sites for benchmarks: realistic posts from a fixed seed.

300 to 3,000 words each, 0 to 10 footnotes (some with links), 1 to 4 tags
from a vocabulary of 60, block quotes and code blocks, apostrophes, quoted
phrases and dashes (for smart quotes), dates over ten years.
The same seed and size always give the same files.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

#: The most common English words, which make up about half of any prose.
FUNCTION_WORDS = (
    "the of and to a in is that for it as was with be by on not he this are or his from at which "
    "but have an they you were her she there been one all we their has would when if so no what "
    "out up into do time only could new them man some these then two first may any like now my "
    "such make over our even most me state after also made many did must before back see through "
    "way where get much go well your know should down work year because come people just say"
).split()
_SYLLABLES = (
    "ka ri to mel an sor vin del pra qu is ter len mo ca ble ing tion pho gra nu sta ver lo "
    "cre de bis fa mi ro sen tal or ex pan dor lu cha ne ma vo"
).split()


def _vocabulary(size: int, seed: int = 11) -> list[str]:
    """Content words: pronounceable, distinct, stable for a seed."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


#: Content words, drawn with Zipf-like frequencies (a few common, most rare).
WORDS = _vocabulary(6000)
_CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) ** 1.05 for rank in range(len(WORDS))))


def _words(rng: random.Random, count: int) -> list[str]:
    content = rng.choices(WORDS, cum_weights=_CUMULATIVE, k=count)
    return [rng.choice(FUNCTION_WORDS) if rng.random() < 0.45 else word for word in content]


TAGS = [
    "essay", "business", "python", "engineering", "writing", "web", "design", "startups",
    "pricing", "caching", "databases", "typography", "reading", "history", "books", "notes",
    "travel", "music", "photography", "cooking", "health", "science", "maths", "physics",
    "biology", "climate", "energy", "cities", "transport", "economics", "policy", "law",
    "ethics", "philosophy", "language", "linguistics", "education", "management", "hiring",
    "remote-work", "open-source", "security", "privacy", "networking", "linux", "rust", "go",
    "javascript", "css", "html", "accessibility", "performance", "testing", "devops", "cloud",
    "hardware", "gardening", "running", "chess", "film",
]  # fmt: skip


def _sentence(rng: random.Random, words: int) -> str:
    chosen = _words(rng, words)
    # Typography as prose has it: apostrophes, quoted phrases, dashes.
    if words > 6 and rng.random() < 0.3:
        chosen[1] += "'s"
    if words > 6 and rng.random() < 0.2:
        chosen[3] = '"' + chosen[3]
        chosen[5] += '"'
    if words > 8 and rng.random() < 0.15:
        chosen[7] += " --"
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def _paragraph(rng: random.Random, words: int) -> str:
    sentences = []
    while words > 0:
        length = min(words, rng.randint(8, 28))
        sentences.append(_sentence(rng, length))
        words -= length
    return " ".join(sentences)


def post_text(
    rng: random.Random, index: int, *, words: int | None = None, notes: int | None = None
) -> str:
    """One post's file: front matter and a body of about ``words`` words."""
    words = words if words is not None else rng.randint(300, 3000)
    notes = notes if notes is not None else rng.randint(0, 10)
    tags = rng.sample(TAGS, rng.randint(1, 4))
    date = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 10 * 365 * 24 * 60))
    title = " ".join(_words(rng, rng.randint(3, 8))).capitalize()
    blocks = [f"**TLDR: {_sentence(rng, 20)}**"]
    remaining = words - 20
    references = list(range(1, notes + 1))
    while remaining > 0:
        kind = rng.random()
        if kind < 0.08:
            blocks.append("> " + _paragraph(rng, 40))
            remaining -= 40
        elif kind < 0.14:
            code = "\n".join(f"    result = compute({i}, cache[{i}])  # step {i}" for i in range(8))
            blocks.append(f"```python\ndef step():\n{code}\n    return result\n```")
            remaining -= 40
        else:
            length = min(remaining, rng.randint(60, 160))
            paragraph = _paragraph(rng, length)
            if references and rng.random() < 0.5:
                paragraph = paragraph.rstrip(".?!") + f".[^{references.pop(0)}]"
            blocks.append(paragraph)
            remaining -= length
    for number in references:  # any notes not yet referenced go at the end of the text
        blocks[-1] += f"[^{number}]"
    for number in range(1, notes + 1):
        if rng.random() < 0.4:
            blocks.append(f"[^{number}]: https://example.com/source/{index}/{number}")
        elif rng.random() < 0.5:
            blocks.append(
                f"[^{number}]: {_sentence(rng, 12)} See [this](https://example.org/{number})."
            )
        else:
            blocks.append(f"[^{number}]: {_sentence(rng, 18)}")
    front = [
        "---",
        f'title: "{title}"',
        f"date: {date.isoformat()}",
        f"tags: [{', '.join(tags)}]",
        "---",
        "",
    ]
    return "\n".join(front) + "\n\n".join(blocks) + "\n"


def generate(folder: Path, count: int, *, seed: int = 20261126) -> Path:
    """Write ``count`` posts into folder (made empty first); return the folder."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    for index in range(count):
        (folder / f"post-{index:05d}.md").write_text(post_text(rng, index), encoding="utf-8")
    return folder
