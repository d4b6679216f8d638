"""Wagtail's SQLite FTS5 backend, with stemming, weighted columns and ranking inside FTS5.

- Stemming: the FTS table uses FTS5's porter tokenizer (migration 0002), so
  query words and indexed words are both reduced to their stems.
- Columns: Wagtail's FTS table has `autocomplete`, `body` and `title`. Here
  `title` holds the headline *and* every search field boosted like it (the
  dek), `body` the rest; `bm25()` weighs them with `COLUMN_WEIGHTS`.
- Ranking: Wagtail's backend scores each result with a correlated subquery
  that runs the full-text query again per row. Here one query scores every
  match inside FTS5 and joins the page table for the recency boost and the
  queryset's filters, by primary key.
- Autocomplete: a stemmed column cannot match every prefix ("subscripti" is
  no prefix of the stem "subscript"), so the last word is also tried a few
  letters shorter; callers check the suggestions against what was typed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import FloatField
from wagtail.search.backends.database.sqlite.query import CombinedLexeme, Lexeme, SearchQueryExpression
from wagtail.search.backends.database.sqlite.sqlite import (
    SQLiteAutocompleteQueryCompiler,
    SQLiteIndex,
    SQLiteSearchBackend,
    SQLiteSearchQueryCompiler,
    SQLiteSearchResults,
)
from wagtail.search.query import MatchAll, Not, PlainText
from wagtail.search.utils import get_content_type_pk, get_descendants_content_types_pks

from masthead.search.index_version import VersionedIndex, changed

from .indexing import FieldTexts
from .ranking import RankedSearch, rankable, recency_sql_sqlite
from .terms import terms_for

FTS_TABLE = "wagtailsearch_indexentry_fts"
ENTRY_TABLE = "wagtailsearch_indexentry"
ENTRY_LOOKUP_INDEX = "masthead_search_entry_lookup"  # (id, content_type_id, object_id): migration 0002
# bm25() weights, in the FTS table's column order: autocomplete, body, title (headline and dek).
COLUMN_WEIGHTS = (0.0, 1.0, 5.0)
# A search's filter, as the set of index entries it keeps (`MastheadSQLiteSearchResults._filtered`): a blob with
# a byte per entry id, 1 for the entries kept, so that checking a match is reading one byte at its rowid (an id
# past the blob reads an empty value: not kept). A JSON list for `IN (SELECT value FROM json_each(...))` cost 1.4 ms
# to parse and index in each statement, for a kind's 15,000 entries, and a lookup per match.
ENTRY_SET_SQL = f"substr(%s, {FTS_TABLE}.rowid + 1, 1) = x'01'"
# The entries' filter terms (`terms.py`) follow the autocomplete text, in the FTS table's `autocomplete` column
# (weighed 0 by `bm25()`; a search matches `title` and `body` only): a filtered search ANDs them with the words
# in its MATCH, and FTS5 then skips the matches the terms rule out, instead of checking each against the filter
# set. A common word in a topic of 9,841 articles had its count walk the word's 98,000 matches (15 ms). Each
# term is written after TERM_PREFIX, which no word a reader types begins with: the autocomplete column is also
# matched by prefixes ("de" would otherwise find the terms beginning with those hex digits).
FILTER_TERMS_FTS = "{autocomplete} : (%s)"
TERM_PREFIX = "zq"
_TERM = re.compile(r"'([0-9a-f]+)'")


def entry_bytes(ids: Iterable[int]) -> bytes:
    """A set of entry ids as `ENTRY_SET_SQL` reads it: byte n is 1 if id n is in the set."""
    ids = list(ids)
    kept = bytearray(max(ids, default=-1) + 1)
    for pk in ids:
        kept[pk] = 1
    return bytes(kept)


def term_token(term: str) -> str:
    return f"{TERM_PREFIX}{term}"


def fts_terms(tsquery: str) -> str:
    """The filter translator's terms (`'a' | 'b'`, `('a') & ('c')`) as an FTS5 expression of phrases (tokens)."""
    return _TERM.sub(rf'"{TERM_PREFIX}\1"', tsquery).replace("&", "AND").replace("|", "OR")


class MastheadSQLiteIndex(VersionedIndex, SQLiteIndex):
    def add_items(self, model, objs):
        if not model.get_search_fields():
            return
        objs = list(objs)
        filter_terms = terms_for(model, [obj.pk for obj in objs], self.write_connection.alias)
        rows = {}
        for obj in objs:
            texts = FieldTexts(obj)
            search = texts.search()
            rows[str(obj.pk)] = (
                "\n".join(text for field, text in search if texts.is_headline(field)),
                # The filter terms after the autocomplete text (`FILTER_TERMS_FTS`)
                "\n".join(
                    [*(text for _, text in texts.autocomplete()), " ".join(map(term_token, filter_terms[str(obj.pk)]))]
                ),
                "\n".join(text for field, text in search if not texts.is_headline(field)),
            )
        if not rows:
            return
        content_type_pk = get_content_type_pk(model)
        entries = self.entries.filter(content_type_id=content_type_pk)
        existing = set(entries.filter(object_id__in=rows.keys()).values_list("object_id", flat=True))
        for object_id in existing:
            title, autocomplete, body = rows[object_id]
            entries.filter(object_id=object_id).update(title=title, autocomplete=autocomplete, body=body)
        entry_model = self.entries.model
        self.entries.bulk_create(
            [
                entry_model(
                    content_type_id=content_type_pk,
                    object_id=object_id,
                    title=title,
                    autocomplete=autocomplete,
                    body=body,
                )
                for object_id, (title, autocomplete, body) in rows.items()
                if object_id not in existing
            ],
            batch_size=500,
        )
        self._refresh_title_norms()
        changed()

    def optimize(self) -> None:
        """Merge FTS5's segments into one (`optimize`): a word's matches are then read from one list, not many.

        A reindex leaves the index in many segments; at 100,000 articles merging them took 17 s and made
        scoring a common word (`bm25()` reads all its matches) 1.5-2 times faster, and counting up to 2 times.
        """
        with self.write_connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")  # noqa: S608 - a constant


class MatchStringMixin:
    if TYPE_CHECKING:  # provided by Wagtail's SQLite query compilers
        query: Any
        queryset: Any
        fields: Any
        FTS_TABLE_FIELDS: list[str]

        def build_search_query(self, query, config=None) -> Any: ...

    def match_string(self) -> str | None:
        """The FTS5 MATCH expression for the positive part of the query, built by Wagtail's compiler."""
        from wagtail.search.backends.database.sqlite.query import normalize

        query = normalize(self.query)
        if isinstance(query, (MatchAll, Not)):
            return None
        built = self.build_search_query(query, config=None)
        connection = connections[self.queryset.db]
        compiler = self.queryset.query.get_compiler(connection=connection)
        sql, params = compiler.compile(built)
        expression = sql % tuple(params)
        columns = " ".join(self.fields or self.FTS_TABLE_FIELDS)
        return f"{{{columns}}} : ({expression})"


class MastheadSQLiteQueryCompiler(MatchStringMixin, SQLiteSearchQueryCompiler):
    pass


class _Grouped(CombinedLexeme):
    """`(a OR b)`: FTS5's AND binds tighter than OR, so alternatives are put in parentheses."""

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        return sql, [f"({params[0]})"]


class MastheadSQLiteAutocompleteCompiler(MatchStringMixin, SQLiteAutocompleteQueryCompiler):
    SHORTER_BY = 3  # letters the last word may lose to reach a stem

    def build_search_query_content(self, query, config=None):
        if isinstance(query, PlainText):
            terms = query.query_string.split()
            if not terms:
                return None
            last = terms.pop()
            variants = [last[: len(last) - cut] for cut in range(self.SHORTER_BY + 1) if len(last) - cut >= 3]
            lexeme = Lexeme(variants[0] if variants else last, prefix=True)
            for variant in variants[1:]:
                lexeme = _Grouped(lexeme, "OR", Lexeme(variant, prefix=True))
            for term in terms:
                lexeme = Lexeme(term) & lexeme
            return SearchQueryExpression(lexeme, config=config)
        return super().build_search_query_content(query, config=config)


class MastheadSQLiteSearchResults(RankedSearch, SQLiteSearchResults):
    """Counting and ranking with FTS5 in the lead.

    FTS5 drives every query (CROSS JOIN fixes the join order). A match's page id
    comes from a small covering index on the index entries, not their wide rows;
    the filters, "live" alone among them, are the set of entries they keep
    (`ENTRY_SET_SQL`), found once per content and index version (otherwise id
    sets read once per query, see `filters.py`, and "live" is "not among the few
    pages that are not live", `liveness.py`). Relevance scores a
    bounded set of candidates (`ranking.CANDIDATES`): FTS5 walks the matches
    newest first (descending rowid, no sort) and stops after that many;
    `bm25()` and the recency factor are computed for those only, and they are
    checked against their page rows. Pages past the candidates rank every
    other match.
    """

    MATCHED_ID_SQL = "CAST(e.object_id AS INTEGER)"
    PAGE_ID_SETS = True

    # The filters (a topic, a region, a year... or "live" alone) are passed as their filter set: the index entries
    # they keep. FTS5 then checks each match's own rowid against the set, rather than finding the match's entry
    # row, then its page id, then that id in the filter's pages: a filtered count of a common word (up to
    # COUNT_LIMIT of 100,000 matches) took 17-27 ms the one way and 6-11 ms the other, at 100,000 articles; a
    # search of all live articles was counted in 2.5 ms by FTS5 alone, instead of 7-8 ms with the join.
    FILTER_SET_SQL = ENTRY_SET_SQL

    def filter_set_sql(self, where: str, needs_page: bool) -> str:
        page = "CROSS JOIN wagtailcore_page p ON p.id = CAST(e.object_id AS INTEGER) " if needs_page else ""
        return (
            f"SELECT e.id FROM {ENTRY_TABLE} e INDEXED BY {ENTRY_LOOKUP_INDEX} {page}"  # noqa: S608 - constants
            f"WHERE e.content_type_id = %s AND ({where}) ORDER BY e.id"
        )

    def encode_filter_set(self, rows: list[tuple]) -> tuple[str, list]:
        return ENTRY_SET_SQL, [entry_bytes(row[0] for row in rows)]  # b"" for none: no match passes the filter

    def _filter_set_or_filters(self):
        """The filter set (or filters); the filter's terms go into the MATCH when every entry has the current ones."""
        where, params, needs_page = super()._filter_set_or_filters()
        if self._live_only(where, params):
            found = self._live_entries(params)
            if found:
                where, params, needs_page = found[0], list(found[1]), False
        filter_terms = self._ready_filter_terms()
        if filter_terms:
            self._known()["fts_terms"] = fts_terms(filter_terms)
        return where, params, needs_page

    def _live_entries(self, params) -> tuple[str, list] | None:
        """ "Live" alone as a filter set: every entry up to the newest, but the other models' and the pages' not live.

        An id no entry has is never a match, so the set is read from those few hundred entries, not from the
        100,000 kept (which took 70 ms once per content version). None: not kept (see `kept_filter_set`).
        """
        sql = (
            f"SELECT MAX(id), 0 FROM {ENTRY_TABLE} UNION ALL SELECT id, 1 FROM {ENTRY_TABLE} "  # noqa: S608
            "WHERE content_type_id <> %s OR CAST(object_id AS INTEGER) IN (SELECT value FROM json_each(%s))"
        )
        content_type_pk = get_content_type_pk(self.query_compiler.queryset.model)

        def encode(rows: list[tuple]) -> tuple[str, list]:
            newest = max((pk or 0 for pk, outside in rows if not outside), default=0)
            kept = bytearray(b"\x01") * (newest + 1)
            for pk, outside in rows:
                if outside:
                    kept[pk] = 0
            return ENTRY_SET_SQL, [bytes(kept)]

        return self.kept_filter_set(sql, [content_type_pk, *params], encode)

    def _match_string(self) -> str | None:
        """The query's MATCH expression, and the filter's terms (`FILTER_TERMS_FTS`) once `_filtered` found them."""
        match = self.query_compiler.match_string()
        terms = self._known().get("fts_terms")
        return f"{match} AND {FILTER_TERMS_FTS % terms}" if match is not None and terms else match

    def terms_ready_sql(self, content_type_pk: int, digest: str) -> tuple[str, list]:
        sql = (
            f"SELECT (SELECT COUNT(*) FROM {ENTRY_TABLE} WHERE content_type_id = %s) = "  # noqa: S608 - constants
            f"(SELECT COUNT(*) FROM {FTS_TABLE} CROSS JOIN {ENTRY_TABLE} e INDEXED BY {ENTRY_LOOKUP_INDEX} "
            f"ON e.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH %s AND e.content_type_id = %s)"
        )
        return sql, [content_type_pk, FILTER_TERMS_FTS % f'"{term_token(digest)}"', content_type_pk]

    def live_sql(self, live: bool):
        from masthead.search.liveness import nonlive_page_ids

        from .filters import FilterSQL

        operator = "NOT IN" if live else "IN"
        return FilterSQL(
            f"{self.MATCHED_ID_SQL} {operator} (SELECT value FROM json_each(%s))",  # noqa: S608 - constants
            [json.dumps(nonlive_page_ids())],
        )

    def _from(self, where: str, needs_page: bool) -> str:
        page = "CROSS JOIN wagtailcore_page p ON p.id = CAST(e.object_id AS INTEGER) " if needs_page else ""
        return (
            f"FROM {FTS_TABLE} CROSS JOIN {ENTRY_TABLE} e INDEXED BY {ENTRY_LOOKUP_INDEX} ON e.id = {FTS_TABLE}.rowid "
            f"{page}WHERE {FTS_TABLE} MATCH %s AND e.content_type_id = %s AND ({where})"
        )

    def _params(self, params) -> list:
        return [self._match_string(), get_content_type_pk(self.query_compiler.queryset.model), *params]

    def candidates_sql(self, *, where: str, params, needs_page: bool):
        """The newest CANDIDATES matches, scored: FTS5 walks the matches in descending rowid order and stops.

        `bm25()`, the joins and the filters are computed for those only. Rows: (id, live, bm25 times
        the recency factor: the lower, the better, 1).
        """
        weights = ", ".join(str(weight) for weight in COLUMN_WEIGHTS)
        sql = (
            f"SELECT c.id, p.live, c.text_score * {recency_sql_sqlite('p.first_published_at')}, 1 "  # noqa: S608
            f"FROM (SELECT {self.MATCHED_ID_SQL} AS id, bm25({FTS_TABLE}, {weights}) AS text_score "
            f"{self._from(where, needs_page)} ORDER BY {FTS_TABLE}.rowid DESC LIMIT {int(self.CANDIDATES)}) c "
            "CROSS JOIN wagtailcore_page p ON p.id = c.id"
        )
        return sql, self._params(params)

    def not_among_sql(self, ids: list[int]) -> tuple[str, list]:
        return f"{self.MATCHED_ID_SQL} NOT IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]  # noqa: S608

    def ranked_sql(self, *, where: str, params, needs_page: bool, order: str, limit: int | None, offset: int):
        weights = ", ".join(str(weight) for weight in COLUMN_WEIGHTS)
        recency = recency_sql_sqlite("p.first_published_at")
        if order == "relevance":
            score = f"bm25({FTS_TABLE}, {weights}) * {recency}"
            sql = f"SELECT p.id {self._from(where, True)} AND p.live ORDER BY {score}, p.id DESC"
        else:
            sql = f"SELECT p.id {self._from(where, True)} AND p.live ORDER BY p.first_published_at DESC, p.id DESC"
        all_params = self._params(params)
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            all_params += [limit, offset]
        return sql, all_params

    def matched_sql(self, *, where: str, params, needs_page: bool):
        sql = f"SELECT {self.MATCHED_ID_SQL} AS id {self._from(where, needs_page)}"
        return sql, self._params(params)

    def newest_matched_sql(self, sql: str, params: list, limit: int) -> tuple[str, list]:
        # FTS5 gives its matches in descending rowid order without sorting, and stops after `limit`.
        return f"{sql} ORDER BY {FTS_TABLE}.rowid DESC LIMIT %s", [*params, limit]

    def _count_matches(self, where: str, params, needs_page: bool, *, limit: int | None) -> int:
        """The count, up to `limit`: FTS5 alone, checking each match against the filter set (`ENTRY_SET_SQL`)."""
        if where != ENTRY_SET_SQL:  # no set was kept (the content version is unknown)
            return super()._count_matches(where, params, needs_page, limit=limit)
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND {where}"  # noqa: S608 - constants
        count_params = [self._match_string(), *params]
        if limit is not None:
            sql, count_params = f"{sql} LIMIT %s", [*count_params, limit]
        return self.fetchall(f"SELECT COUNT(*) FROM ({sql})", count_params)[0][0]  # noqa: S608 - constants

    def can_rank(self) -> bool:
        compiler = self.query_compiler
        return rankable(compiler.queryset) and not compiler.fields and compiler.match_string() is not None

    # The searches ranking does not take (`rankable`: the admin's, of every page type, drafts included) go to
    # Wagtail's code, which orders by relevance through a score subquery per page of the queryset, each running
    # FTS5's MATCH again: the admin's page search of "sanctions" took 0.9 s at 100,000 articles, of "the" more
    # than 5 minutes, and its count as long. Such a search is matched once instead (Wagtail's own statement
    # without the score); up to UNRANKED_SCORED matches are then scored by `bm25()` in one statement, and more
    # are listed in the queryset's order (the most recently created first, without one).
    UNRANKED_SCORED = 1000

    def _scores_each_page(self) -> bool:
        """Whether Wagtail's code would order this search by a score computed page by page."""
        compiler = self.query_compiler
        return (
            compiler.order_by_relevance
            and self._score_field is None
            and not self.can_rank()
            and compiler.match_string() is not None
        )

    def _unscored(self):
        """Wagtail's queryset of the matches, without the score: in the queryset's order (or newest first)."""
        compiler = copy.copy(self.query_compiler)
        compiler.order_by_relevance = False
        return compiler.search(compiler.get_config(self.backend), None, None)

    def _do_search(self):
        if not self._scores_each_page():
            return super()._do_search()
        matched = self._unscored()
        ids = list(matched.values_list("pk", flat=True)[: self.UNRANKED_SCORED + 1])
        if len(ids) <= self.UNRANKED_SCORED:
            scores = self._bm25_scores(ids)
            ids.sort(key=lambda pk: (scores.get(str(pk), 0.0), -pk if isinstance(pk, int) else 0))  # as Wagtail orders
        elif self.stop is None or self.stop > len(ids):  # past the ids read: the matches are looked for again
            return list(matched[self.start : self.stop])
        chosen = ids[self.start : self.stop]
        by_pk = {obj.pk: obj for obj in self.query_compiler.queryset.filter(pk__in=chosen).order_by()}
        return [by_pk[pk] for pk in chosen if pk in by_pk]

    def _do_count(self):
        if not self._scores_each_page():
            return super()._do_count()
        return self._unscored().count()

    def _bm25_scores(self, ids: list) -> dict[str, float]:
        """`bm25()` of these matches (by object id as text), in one statement: the lower, the better."""
        compiler = self.query_compiler
        sql = (
            f"SELECT e.object_id, bm25({FTS_TABLE}) FROM {FTS_TABLE} CROSS JOIN {ENTRY_TABLE} e "  # noqa: S608
            f"INDEXED BY {ENTRY_LOOKUP_INDEX} ON e.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH %s "
            "AND e.content_type_id IN (SELECT value FROM json_each(%s)) "
            "AND e.object_id IN (SELECT value FROM json_each(%s))"
        )
        content_types = get_descendants_content_types_pks(compiler.queryset.model)
        params = [compiler.match_string(), json.dumps(content_types), json.dumps([str(pk) for pk in ids])]
        return {object_id: score for object_id, score in self.fetchall(sql, params)}

    def score_field_type(self):
        return FloatField()


class MastheadSQLiteSearchBackend(SQLiteSearchBackend):
    index_class = MastheadSQLiteIndex
    query_compiler_class = MastheadSQLiteQueryCompiler
    autocomplete_query_compiler_class = MastheadSQLiteAutocompleteCompiler
    results_class = MastheadSQLiteSearchResults


SearchBackend = MastheadSQLiteSearchBackend
