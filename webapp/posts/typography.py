"""smarty's curly quotes, dashes and ellipses in one light pass over the tree.

Python-Markdown's smarty extension registers a second, complete inline pass
(an ``InlineProcessor`` tree processor holding only its own patterns) to turn
``'``, ``"``, ``--``, ``---`` and ``...`` into entities. That pass costs as much
as the first: it walks every text in the tree and tries each of its patterns
on each text, with the bookkeeping an inline pass needs for elements it
never makes here.

``TypographyTreeprocessor`` takes the place of that pass (same priority, the
same pattern objects from smarty's own registry, so its configuration holds)
and does exactly what the inline pass does to a text, without the rest:
patterns in the registry's order, each replacing its matches left to right,
a match becoming a placeholder that later patterns see as smarty's pass
shows it to them (``STX…ETX``), the replacement put back at the end. smarty
stores each entity it writes in the HTML stash; here an entity stays in the
text, where the serializer writes it as it is (other replacements, raw HTML
from a custom substitution, still go to the stash). A pattern whose
literal text (a quote, two dashes, three dots) is not in a text is not tried
on it: most texts have no quotes at all. ``tests/test_render_speed.py``
renders a large corpus with both and compares the HTML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable
from typing import cast

import markdown
from markdown import util
from markdown.extensions import Extension, smarty
from markdown.extensions.smarty import SubstituteTextPattern
from markdown.treeprocessors import InlineProcessor, Treeprocessor

#: What a smarty pattern's match always contains, by the name smarty gives it
#: (markdown/extensions/smarty.py). A pattern not named here is always tried.
_LITERALS: dict[str, str] = {
    "smarty-em-dashes": "---",
    "smarty-en-dashes": "--",
    "smarty-ellipses": "...",
    "smarty-left-angle-quotes": "<<",
    "smarty-right-angle-quotes": ">>",
    # educateQuotes' patterns, in its order: start-of-text quotes, double sets
    # (two patterns each way), decades, single quotes, then double quotes.
    "smarty-quotes-0": "'",
    "smarty-quotes-1": '"',
    "smarty-quotes-2": "\"'",
    "smarty-quotes-3": "'\"",
    "smarty-quotes-4": "'\"",
    "smarty-quotes-5": "\"'",
    "smarty-quotes-6": "'",
    "smarty-quotes-7": "'",
    "smarty-quotes-8": "'",
    "smarty-quotes-9": "'",
    "smarty-quotes-10": "'",
    "smarty-quotes-11": '"',
    "smarty-quotes-12": '"',
    "smarty-quotes-13": '"',
    "smarty-quotes-14": '"',
}

#: Faster regular expressions with the same matches as some of smarty's. A
#: pattern that opens with a lookbehind is tried at every position of a text;
#: the same test written after the quote or dash lets the regex engine jump
#: from one quote or dash to the next (``(?<=C)'`` matches where ``'(?<=C')``
#: does, at the start of a text too). Keyed by smarty's own expressions, so a
#: changed smarty falls back to its own.
_SAME_MATCHES: dict[str, str] = {
    smarty.closingSingleQuotesRegex: rf"'(?<={smarty.closeClass}')(?!\s|s\b|\d)",
    smarty.closingDoubleQuotesRegex2: rf'"(?<={smarty.closeClass}")',
    smarty.doubleQuoteSetsRe2: rf"'\"(?<={smarty.closeClass}'\")",
    smarty.singleQuoteSetsRe2: rf"\"'(?<={smarty.closeClass}\"')",
    smarty.decadeAbbrRe: r"'(?<!\w')(?=\d{2}s)",
    r"(?<!-)---(?!-)": r"---(?<!----)(?!-)",
    r"(?<!-)--(?!-)": r"--(?<!---)(?!-)",
    r"(?<!\.)\.{3}(?!\.)": r"\.\.\.(?<!\.\.\.\.)(?!\.)",
}

#: smarty's opening quotes: one of these (none holds a quote), then the quote.
_OPENING = {smarty.openingSingleQuotesRegex: "'", smarty.openingDoubleQuotesRegex: '"'}
_LONGEST_OPENER = len("&#8211;")


def _finder(regex: re.Pattern[str]) -> Callable[[str, int], re.Match[str] | None]:
    """``regex.search``, or a faster function giving the same first match."""
    if regex.pattern in _SAME_MATCHES:
        return re.compile(_SAME_MATCHES[regex.pattern], regex.flags).search
    quote = _OPENING.get(regex.pattern)
    if quote is None:
        return regex.search
    match = regex.match

    def first_opening(text: str, start: int) -> re.Match[str] | None:
        # Every match ends at a quote, after at most seven characters with no
        # quote among them: at the first quote that ends one, the match that
        # starts leftmost is the one search() would give.
        at = text.find(quote, start)
        while at != -1:
            for begin in range(max(start, at - _LONGEST_OPENER), at):
                found = match(text, begin)
                if found is not None:
                    return found
            at = text.find(quote, at + 1)
        return None

    return first_opening


_ENTITIES = re.compile(r"(?:&(?:#[0-9]+|#x[0-9a-f]+|[0-9a-z]+);)+", re.I)


def _entities_or_group(part: object) -> bool:
    """A part of a smarty replacement that can stand in the text as it is."""
    return isinstance(part, int) or (isinstance(part, str) and bool(_ENTITIES.fullmatch(part)))


_PLACEHOLDER = util.INLINE_PLACEHOLDER  # STX "klzzwxh:%s" ETX, as smarty's pass writes
_PLACEHOLDER_RE = util.INLINE_PLACEHOLDER_RE


class TypographyTreeprocessor(Treeprocessor):
    """smarty's substitutions on every text in the tree, in one pass of plain string work."""

    def __init__(
        self, md: markdown.Markdown, patterns: Iterable[tuple[str, SubstituteTextPattern]]
    ):
        super().__init__(md)
        self.patterns: list[
            tuple[SubstituteTextPattern, Callable[[str, int], re.Match[str] | None], str]
        ] = [
            (pattern, _finder(pattern.getCompiledRegExp()), _LITERALS.get(name, ""))
            for name, pattern in patterns
        ]
        self.entities_only = {
            pattern
            for pattern, _, _ in self.patterns
            if all(_entities_or_group(part) for part in pattern.replace)
        }
        # A text with none of these is left alone without trying any pattern.
        literals = {literal for _, _, literal in self.patterns}
        self.marks: tuple[str, ...] | None = None if "" in literals else tuple(literals)

    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for child in parent:
                text = child.text
                if text and not isinstance(text, util.AtomicString):
                    child.text = self.educate(text)
                tail = child.tail
                if tail and not isinstance(tail, util.AtomicString):
                    child.tail = self.educate(tail)

    def educate(self, text: str) -> str:
        """``text`` as smarty's inline pass leaves it."""
        marks = self.marks
        if marks is not None and not any(mark in text for mark in marks):
            return text
        replaced: list[str] = []
        for pattern, search, literal in self.patterns:
            if literal not in text:
                continue
            start = 0
            # As the inline pass does: the first match from ``start``, replaced,
            # then the next from just after its placeholder (smarty's patterns
            # accept every match, and lookbehinds see the placeholder).
            while (match := search(text, start)) is not None:
                if pattern in self.entities_only:
                    # What smarty writes, with its entities in the text rather
                    # than the HTML stash: the serializer leaves an entity as
                    # it is, and the stash would be searched by every later
                    # postprocessor run (one per footnote here).
                    begin, end = match.span()
                    replacement = "".join(
                        match.group(part) if isinstance(part, int) else str(part)
                        for part in pattern.replace
                    )
                else:
                    replacement, begin, end = cast(
                        "tuple[str, int, int]", pattern.handleMatch(match, text)
                    )
                placeholder = _PLACEHOLDER % f"{len(replaced):04d}"
                replaced.append(replacement)
                text = text[:begin] + placeholder + text[end:]
                start = begin + len(placeholder)
        if not replaced:
            return text
        return _PLACEHOLDER_RE.sub(lambda m: replaced[int(m.group(1))], text)


#: Where smarty registers its inline pass (after the main inline pass and the
#: tree processors of footnotes, before toc reads the headings).
SMARTY_PRIORITY = 6


def replace_smarty_pass(md: markdown.Markdown) -> None:
    """Put ``TypographyTreeprocessor`` where smarty registered its inline pass, if it did."""
    if "smarty" not in md.treeprocessors:
        return
    smarty = md.treeprocessors["smarty"]
    if not isinstance(smarty, InlineProcessor):
        return
    registry = smarty.inlinePatterns
    names = {id(registry[name]): name for name in _LITERALS if name in registry}
    ordered = [(names.get(id(pattern), ""), pattern) for pattern in registry]
    patterns = [(name, p) for name, p in ordered if isinstance(p, SubstituteTextPattern)]
    if len(patterns) != len(ordered):  # not smarty's own patterns: leave its pass alone
        return
    md.treeprocessors.deregister("smarty")
    md.treeprocessors.register(TypographyTreeprocessor(md, patterns), "smarty", SMARTY_PRIORITY)


class TypographyExtension(Extension):
    """Listed after smarty: swaps its inline pass for ``TypographyTreeprocessor``."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        replace_smarty_pass(md)
