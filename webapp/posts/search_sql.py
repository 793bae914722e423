"""The SQL that finds a reader's query in the search index, and orders what it finds.

BM25 (FTS5's rank) scores each match from where its words occur in it: for
a word most posts use, ranking them took a tenth of a second at 10,000
posts, for results that say little (the word is everywhere). So a query's
matches are first found and counted without ranking; past ``BROAD`` of
them, the posts with the query in their title or tags come first, then
the rest, each group newest first; BM25 ranks fewer.
"""

from __future__ import annotations

from .search_text import Query

__all__ = ["BROAD", "broad_sql", "ranked_sql", "titled"]

#: Most matches ranked by BM25 (about 10 ms of ranking at most).
BROAD = 1000

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
    return f"""
        WITH found AS MATERIALIZED ({_found(query, ranked=False)}),
        titled AS MATERIALIZED ({titled_matches})
        SELECT documents.id, documents.slug, found.found_in, count(*) OVER ()
        FROM found CROSS JOIN documents ON documents.id = found.rowid
        WHERE {_VISIBLE}
        ORDER BY documents.id NOT IN titled, documents.published DESC, documents.id
        LIMIT :limit OFFSET :offset
    """


def titled(match: str) -> str:
    """An FTS5 query matching ``match`` in titles and tags alone."""
    return "{title tags} : (" + match + ")"
