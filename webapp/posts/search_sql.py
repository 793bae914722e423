"""The SQL that finds a reader's query in the search index, and orders what it finds.

BM25 (FTS5's rank) scores each match from where its words occur in it: for
a word most posts use, ranking them took a tenth of a second at 10,000
posts, for results that say little (the word is everywhere). So a query's
matches are first found and counted without ranking; past ``BROAD`` of
them, the posts with the query in their title or tags come first, then
the rest, each group newest first; BM25 ranks fewer.
"""

from __future__ import annotations

import re
import sqlite3

from .search_text import Query

__all__ = ["BROAD", "VOCABULARY", "broad_sql", "most_sql", "prefix_match", "ranked_sql", "titled"]

#: Most matches ranked by BM25 (about 10 ms of ranking at most).
BROAD = 1000

#: The prefixes table's words, one row each (made per connection, in "temp").
VOCABULARY = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocabulary USING fts5vocab(main, prefixes, row)"
)
#: Most words a long prefix is replaced by.
_MOST_WORDS = 64
#: The longest prefix the index holds (see its "prefix" option).
_INDEXED = 3
_PLAIN = re.compile(r'"([a-z0-9_]+)"')

_VISIBLE = "documents.published <= :now AND documents.draft <= :drafts"


def _found(query: Query, *, ranked: bool) -> str:
    """A query's matches (rowid, the table they matched in, and with ``ranked``
    their BM25 rank), visible or not.

    A post matches when every term matches as a (stemmed) word; or, while
    the last term is being typed, when the others match as words and the
    last as the start of a word.
    """
    rank = ", rank" if ranked else ""
    sql = f"SELECT rowid, 'words' AS found_in{rank} FROM words WHERE words MATCH :whole"
    if not query.typing:
        return sql
    settled = (
        "AND +rowid IN (SELECT rowid FROM words WHERE words MATCH :settled)"
        if query.settled
        else ""
    )
    # A post's rank in the prefixes table is worked out only when it is not a
    # whole match already: the word being typed is often a whole word too, and
    # ranking is most of a query's time. ("+rowid" is no constraint FTS5 is
    # given: it would run the query once per rowid, merging a prefix's words
    # anew each time.)
    return f"""
        WITH whole AS MATERIALIZED ({sql})
        SELECT * FROM whole
        UNION ALL
        SELECT rowid, 'prefixes'{rank} FROM prefixes WHERE prefixes MATCH :prefix
        AND +rowid NOT IN (SELECT rowid FROM whole) {settled}
    """


def most_sql(query: Query) -> str:
    """At least as many as match, counted in the index alone: a millisecond or so,
    where finding the matches, to count them exactly, took a few. At most
    ``BROAD`` (most queries), and the matches are ranked at once."""
    whole = "(SELECT count(*) FROM words WHERE words MATCH :whole)"
    if not query.typing:
        return f"SELECT {whole}"
    prefix = "(SELECT count(*) FROM prefixes WHERE prefixes MATCH :prefix)"
    if query.settled:
        prefix = f"min({prefix}, (SELECT count(*) FROM words WHERE words MATCH :settled))"
    # The prefix is counted only when the whole words are not too many already.
    return f"SELECT CASE WHEN {whole} > :broad THEN {whole} ELSE {whole} + {prefix} END"


def ranked_sql(query: Query) -> str:
    """Every visible match: id, slug and the table it matched in; best first
    (ties to the older post)."""
    # Each match list is read once and joined to "documents" by its key (a
    # join of the two match lists to each other took time in the square of
    # their length; CROSS JOIN keeps the match list the outer loop).
    return f"""
        WITH found AS MATERIALIZED ({_found(query, ranked=True)})
        SELECT documents.id, documents.slug, found.found_in
        FROM found CROSS JOIN documents ON documents.id = found.rowid
        WHERE {_VISIBLE}
        ORDER BY found.rank, documents.id
    """


def broad_sql(query: Query) -> str:
    """The page of visible matches from :offset, :limit long, with titles and tags
    first, each group newest first: id, slug, the table it matched in, and
    how many matches there are in all."""
    titled_matches = "SELECT rowid FROM words WHERE words MATCH :titled_whole"
    if query.typing:
        titled_matches += " UNION SELECT rowid FROM prefixes WHERE prefixes MATCH :titled_prefix"
    # The count is worked out once, from the stored matches ("count(*) OVER ()"
    # took as long again as finding them).
    return f"""
        WITH found AS MATERIALIZED ({_found(query, ranked=False)}),
        shown AS MATERIALIZED (
            SELECT documents.id, documents.slug, found.found_in, documents.published
            FROM found CROSS JOIN documents ON documents.id = found.rowid
            WHERE {_VISIBLE}
        ),
        titled AS MATERIALIZED ({titled_matches})
        SELECT id, slug, found_in, (SELECT count(*) FROM shown) FROM shown
        ORDER BY id NOT IN titled, published DESC, id
        LIMIT :limit OFFSET :offset
    """


def prefix_match(db: sqlite3.Connection, query: Query) -> str:
    """The FTS5 query for the word being typed: as a prefix ("anbis"*), or,
    when it is longer than the index's prefixes and starts few words, those
    words ("anbis" OR "anbisro"): FTS5 merged the match lists of every word a
    long prefix starts, with the place of each match, for each query that
    used it (30-40 ms for a prefix of a word in most posts), where listing
    the words and reading their lists takes half as long."""
    term = query.terms[-1]
    plain = _PLAIN.fullmatch(term.lower()) if term.isascii() else None
    if plain is None or len(plain[1]) <= _INDEXED:  # accents, several words, a short prefix
        return query.last_prefix
    start = plain[1]
    words = db.execute(
        "SELECT term FROM temp.vocabulary WHERE term >= ? AND term < ? LIMIT ?",
        (start, start[:-1] + chr(ord(start[-1]) + 1), _MOST_WORDS + 1),
    ).fetchall()
    if not words or len(words) > _MOST_WORDS:
        return query.last_prefix
    return "(" + " OR ".join(f'"{word}"' for (word,) in words) + ")"


def titled(match: str) -> str:
    """An FTS5 query matching ``match`` in titles and tags alone."""
    return "{title tags} : (" + match + ")"
