"""Ranking shared by Masthead's SQLite and PostgreSQL backends.

Relevance is the backend's own text score (FTS5 `bm25()`, PostgreSQL
`ts_rank()`), with the headline and dek weighted above the body, times a mild
recency factor: an article published today scores 1.25 times one with the
same words published long ago; after a year the factor is 1.125.

The queryset a search is run on (live articles, a topic, a date range...) is
compiled by Django and used as a subquery, so every filter Django can express
works; the backends only decide how the matches are scored and ordered.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import connections
from wagtail.search.utils import get_content_type_pk

from masthead.core import content_version
from masthead.core.memo import Memo, shared_key
from masthead.search import index_version

RECENCY_WEIGHT = 0.25  # the extra weight of an article published today
RECENCY_HALF_LIFE_DAYS = 365  # the extra weight halves after this many days

# A common word matches tens of thousands of articles; scoring every one of them costs far more than
# the rest of the search. Relevance therefore scores this many candidates first (SQLite: the most
# recently indexed matches, and the index grows in publication order, so the newest; PostgreSQL:
# the best by headline, then the newest); pages past them rank the other matches. The recency boost
# favours the newest anyway; what a first page loses is an old article with a common word. Below
# this many matches, every match is a candidate and the ranking is exact.
CANDIDATES = 2000


def recency_sql_sqlite(column: str) -> str:
    age = f"MAX(0, julianday('now') - julianday({column}))"
    boost = f"{RECENCY_WEIGHT} * {RECENCY_HALF_LIFE_DAYS}.0 / ({RECENCY_HALF_LIFE_DAYS}.0 + {age})"
    return f"(1.0 + COALESCE({boost}, 0))"  # no date (a page never published): no boost


def recency_sql_postgres(column: str) -> str:
    age = f"GREATEST(0, EXTRACT(EPOCH FROM (now() - {column})) / 86400.0)"
    boost = f"{RECENCY_WEIGHT} * {RECENCY_HALF_LIFE_DAYS}.0 / ({RECENCY_HALF_LIFE_DAYS}.0 + {age})"
    return f"(1.0 + COALESCE({boost}, 0))"  # no date (a page never published): no boost


NEWEST = ("-first_published_at",)

# (database, content type, digest term, index version) -> every entry of the model holds the current filter terms
_terms_ready = Memo(16)
# (database, the set's SQL and parameters, content version, index version) -> a filter's set of ids, as the
# backend passes it (`RankedSearch.kept_filter_set`); the biggest, every article's, is about 100 KB on SQLite
# (a byte per entry) and 13 KB on PostgreSQL (bits).
_filter_sets = Memo(32)
# The same for the filters that name a list of page ids (a search sorted by newest names its window of the newest
# pages, more like this its candidates, a relevance search the exact headlines it leaves out): many, each asked for
# a few times, so kept apart, never pushing out the sets of the filters readers choose.
_listed_filters = Memo(64)


# What a process works out once per content or index version (a filter set, whether the entries hold the current
# filter terms) is also put in the shared cache, for the deployment's other processes: each of them worked it out
# again after every change of content (PostgreSQL, at 100,000 articles: a region's set 65-160 ms, the terms' check
# 80 ms), on its first search with that filter. The keys hold every version the value depends on.
SHARED_SETS = "masthead.search.filter-set.v1"
SHARED_SECONDS = 3600


def _shared(prefix: str, signature: tuple, work_out):
    """The value the shared cache holds for `signature`, or `work_out()`, then put there."""
    key = shared_key(prefix, signature)
    found = cache.get(key)
    if found is None:
        found = work_out()
        cache.set(key, found, SHARED_SECONDS)
    return found


def rankable(queryset) -> bool:
    """Whether ranking can search this queryset: of live pages of one page model, with no page types below it.

    Ranking joins Wagtail's page table (for the date) and lists live pages only; Wagtail's code does the rest:
    - a model with page types below it (`Page` itself, as the admin's page search asks): their pages are
      indexed under their own content types, which Wagtail's code finds and ranking's `content_type_id = %s`
      would not;
    - a queryset that does not keep live pages only (the admin's search of articles, drafts included).
    """
    from wagtail.models import Page

    model = queryset.model
    return issubclass(model, Page) and not _has_models_below(model) and _keeps_live_only(queryset.query.where)


@functools.cache
def _has_models_below(model) -> bool:
    from wagtail.search.utils import get_descendant_models

    return get_descendant_models(model) != {model}


def _keeps_live_only(node) -> bool:
    """Whether this where clause ANDs `live = True` (Wagtail's `live()`) at its top, or in an AND below it."""
    from django.db.models.expressions import Col
    from django.db.models.lookups import Exact
    from django.db.models.sql.where import AND, WhereNode
    from wagtail.models import Page

    if isinstance(node, Exact):
        column = node.lhs
        return isinstance(column, Col) and column.target is Page._meta.get_field("live") and node.rhs is True
    if isinstance(node, WhereNode) and node.connector == AND and not node.negated:
        return any(_keeps_live_only(child) for child in node.children)
    return False


class RankedSearch:
    """A SearchResults mixin: ranked ids from one SQL query, then the objects from the caller's queryset.

    Subclasses say whether they can rank this query (`can_rank`) and give the
    SQL (`candidates_sql`, `ranked_sql`, `matched_sql`, `not_among_sql`);
    anything else goes to Wagtail's own code.
    """

    if TYPE_CHECKING:  # provided by Wagtail's BaseSearchResults and the backend's subclass
        query_compiler: Any
        backend: Any
        start: int
        stop: int | None
        _score_field: str | None

        def results(self) -> list: ...
        def count(self) -> int: ...
        def ranked_sql(
            self, *, where: str, params, needs_page: bool, order: str, limit: int | None, offset: int
        ) -> tuple[str, list]: ...
        def candidates_sql(self, *, where: str, params, needs_page: bool) -> tuple[str, list]: ...
        def matched_sql(self, *, where: str, params, needs_page: bool) -> tuple[str, list]: ...
        def not_among_sql(self, ids: list[int]) -> tuple[str, list]: ...
        def newest_matched_sql(self, sql: str, params: list, limit: int) -> tuple[str, list]: ...

    def can_rank(self) -> bool:  # pragma: no cover - overridden
        return False

    def _order(self) -> str | None:
        compiler = self.query_compiler
        if compiler.order_by_relevance:
            return "relevance"
        order_by = tuple(compiler.queryset.query.order_by)
        if order_by[:1] == NEWEST:
            return "newest"
        return None

    def _ranking_possible(self) -> bool:
        return self._score_field is None and self._order() is not None and self.can_rank()

    # How many matches relevance scores first (see CANDIDATES above); the pages past them rank the rest.
    CANDIDATES = CANDIDATES

    # The SQL naming the matched page's id, and how "live" is checked; set by each backend.
    MATCHED_ID_SQL = "p.id"
    PAGE_ID_SETS = False  # filter on indexed page columns through their index rather than the page row
    # The index entry's own text id column, when `MATCHED_ID_SQL` casts it: a filter on page ids then also
    # names it, so the entries' (content type, object id) index can find a few ids (see FilterTranslator).
    ENTRY_ID_SQL: str | None = None

    def live_sql(self, live: bool):
        from .filters import PAGE_ALIAS, FilterSQL

        return FilterSQL(f"{PAGE_ALIAS}.live = %s", [live], needs_page=True)

    def _live_only(self, where: str, params) -> bool:
        """Whether `_filtered` found no filter but "live"."""
        live = self.live_sql(True)
        return where == f"({live.sql})" and list(params) == live.params

    # A backend that passes a filter beyond "live" as its filter set (`_filtered`) names the condition taking
    # the set and gives `filter_set_sql` and `encode_filter_set`.
    FILTER_SET_SQL: str | None = None

    def filter_set_sql(self, where: str, needs_page: bool) -> str:  # pragma: no cover - overridden
        """The statement selecting the set, its ids first: the model's content type, then `where`'s parameters."""
        raise NotImplementedError

    def encode_filter_set(self, rows: list[tuple]) -> tuple[str, list] | None:  # pragma: no cover - overridden
        """The set's condition and parameters (`FILTER_SET_SQL`'s, or narrower); None: filter with `where` itself."""
        raise NotImplementedError

    def terms_ready_sql(self, content_type_pk: int, digest: str) -> tuple[str, list]:  # pragma: no cover - overridden
        """SQL: whether every entry of the content type holds the digest term (a backend indexing filter terms)."""
        raise NotImplementedError

    def _ready_filter_terms(self) -> str | None:
        """The terms `_translated_filters` found for the queryset's filters, if every entry holds the current ones."""
        filter_terms = self._known().get("filter_terms")
        return filter_terms if filter_terms and self._filter_terms_ready() else None

    def _filter_terms_ready(self) -> bool:
        """Whether each entry of the model searched holds the current filter terms (`terms.py`), once per index version.

        Kept in this process, and in the shared cache for the others (`_shared`).

        An index written before the terms, or before a filter field was added, is never trusted for them.
        """
        from .terms import digest_term

        model = self.query_compiler.queryset.model
        content_type_pk = get_content_type_pk(model)
        digest = digest_term(model)
        key = (self.query_compiler.queryset.db, content_type_pk, digest, index_version.current())
        ready = _terms_ready.get(key)
        if ready is None:
            ready = _shared(
                "masthead.search.terms-ready.v1",
                key,
                lambda: bool(self.fetchall_without_vectors(*self.terms_ready_sql(content_type_pk, digest))[0][0]),
            )
            _terms_ready.set(key, ready)
        return ready

    def kept_filter_set(self, sql: str, params: list, encode) -> tuple[str, list] | None:
        """A filter set: the rows `sql` selects, encoded, worked out once per content and index version.

        Kept in this process, and in the shared cache for the others (`_shared`), but for a list of pages.

        A filtered search's statements (candidates, count, facets) each found the filter's ids again: on
        PostgreSQL a hash of a topic's or kind's 15,000 pages, 5-6 ms each time. None: not kept (the content
        version is unknown, or a parameter is not a plain value), or not worth passing as a set (`encode`);
        the caller then filters as before.
        """
        version = content_version.current()
        if version < 0:
            return None
        values = tuple(tuple(value) if isinstance(value, list) else value for value in params)  # lists of ids
        key = (self.query_compiler.queryset.db, sql, values, version, index_version.current())
        names_pages = self._known().get("names_pages")
        memo = _listed_filters if names_pages else _filter_sets
        try:
            found = memo.get(key)
        except TypeError:
            return None
        if found is None:

            def work_out():
                return encode(self.fetchall_without_vectors(sql, params)) or ()  # () is kept too: "filter with `where`"

            # A list of pages (a newest window...) is asked for a few times, by one process: not shared.
            found = work_out() if names_pages else _shared(SHARED_SETS, key, work_out)
            memo.set(key, found)
        return found or None

    def _filtered(self):
        """The queryset's filters as SQL: (where clause, parameters, needs the page row).

        A filter beyond "live", with a backend that passes filter sets (`FILTER_SET_SQL`), as its filter set.
        Worked out once per search: its statements (candidates, count, facets) and slices share it.
        """
        known = self._known()
        if "filtered" not in known:
            known["filtered"] = self._filter_set_or_filters()
        where, params, needs_page = known["filtered"]
        return where, list(params), needs_page

    def _filter_set_or_filters(self):
        where, params, needs_page = self._translated_filters()
        if self.FILTER_SET_SQL is None or self._live_only(where, params):
            return where, params, needs_page
        content_type_pk = get_content_type_pk(self.query_compiler.queryset.model)
        found = self.kept_filter_set(
            self.filter_set_sql(where, needs_page), [content_type_pk, *params], self.encode_filter_set
        )
        return (found[0], list(found[1]), False) if found else (where, params, needs_page)

    def _translated_filters(self):
        """The queryset's filters as SQL on the matched page: (where clause, parameters, needs the page row).

        Translated field by field when every filter is a FilterField the translator can express
        (the fast path); otherwise the queryset as Django compiles it, correlated to the page.
        """
        from django.db.models.expressions import RawSQL

        from .filters import PAGE_ALIAS, FilterTranslator, Untranslatable

        connection = connections[self.query_compiler.queryset.db]
        try:
            translated = FilterTranslator(
                self.query_compiler,
                connection,
                id_sql=self.MATCHED_ID_SQL,
                live_sql=self.live_sql,
                page_id_sets=self.PAGE_ID_SETS,
                entry_id_sql=self.ENTRY_ID_SQL,
            ).translate()
        except Untranslatable:
            translated = None
        if translated is not None:
            self._known()["filter_terms"] = translated.terms  # a backend indexing filter terms may use them
            self._known()["names_pages"] = translated.names_pages  # its set is kept apart (`kept_filter_set`)
            return translated.sql, list(translated.params), translated.needs_page
        queryset = self.query_compiler.queryset.order_by()
        queryset = queryset.filter(pk=RawSQL(f"{PAGE_ALIAS}.id", ())).values("pk")  # noqa: S611 - a constant alias
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        return f"EXISTS ({sql})", list(params), True

    def ranked_ids(self) -> list[int]:
        """The primary keys of this slice of the results, best first, without loading the objects."""
        if not self._ranking_possible():
            return [obj.pk for obj in self.results()]
        where, params, needs_page = self._filtered()
        limit = None if self.stop is None else max(0, self.stop - self.start)
        if limit == 0:
            return []
        if self._order() == "relevance":
            return self._relevance_ids(where, params, needs_page, limit=limit, offset=self.start)
        return self._ranked(where, params, needs_page, order="newest", limit=limit, offset=self.start)

    def _ranked(self, where: str, params, needs_page: bool, *, order: str, limit: int | None, offset: int) -> list[int]:
        if limit is None and offset:
            limit = -1 if self._vendor() == "sqlite" else None
        sql, params = self.ranked_sql(
            where=where, params=params, needs_page=needs_page, order=order, limit=limit, offset=offset
        )
        return [row[0] for row in self.fetchall(sql, params)]

    def _relevance_ids(self, where: str, params, needs_page: bool, *, limit: int | None, offset: int) -> list[int]:
        """The candidates, scored and ordered, then (for pages past them) every other match, scored and ordered.

        Every match is listed once: a page past the candidates never repeats one of them.
        """
        candidates = self._candidates(where, params, needs_page)
        ranked = [pk for pk, live in candidates if live]
        end = None if limit is None else offset + limit
        if self._every_match_is_a_candidate() or (end is not None and end <= len(ranked)):
            return ranked[offset:end]
        taken = ranked[offset:end]
        not_among, not_among_params = self.not_among_sql([pk for pk, _ in candidates])
        rest = self._ranked(
            f"({where}) AND {not_among}",
            [*params, *not_among_params],
            needs_page,
            order="relevance",
            limit=None if end is None else end - max(offset, len(ranked)),
            offset=max(0, offset - len(ranked)),
        )
        return taken + rest

    # What ranking learnt about this search, shared by its slices (which share the query compiler).
    def _known(self) -> dict:
        return self.query_compiler.__dict__.setdefault("_masthead_ranking", {})

    def _every_match_is_a_candidate(self) -> bool:
        return self._known().get("total") is not None

    def candidate_rows(self, where: str, params, needs_page: bool) -> list[tuple]:
        return self.fetchall(*self.candidates_sql(where=where, params=params, needs_page=needs_page))

    def _candidates(self, where: str, params, needs_page: bool) -> list[tuple[int, bool]]:
        """(id, live) of the candidates, best first (see CANDIDATES); remembers the count of a short list."""
        known = self._known()
        if "candidates" not in known:
            # Rows: (id, live, score: the lower the better, 1 if taken from all matches, newest first).
            rows = self.candidate_rows(where, params, needs_page)
            if len(rows) < self.CANDIDATES and all(row[3] for row in rows):
                known["total"] = len(rows)
            rows.sort(key=lambda row: (row[2], -row[0]))
            known["candidates"] = [(row[0], bool(row[1])) for row in rows]
        return known["candidates"]

    def fetchall(self, sql: str, params) -> list[tuple]:
        """Run one of this backend's statements (PostgreSQL sets its planner up first)."""
        with connections[self.query_compiler.queryset.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def fetchall_without_vectors(self, sql: str, params) -> list[tuple]:
        """Run a statement that reads no text vector (a filter's set, the filter terms' check)."""
        return self.fetchall(sql, params)

    def _vendor(self) -> str:
        return connections[self.query_compiler.queryset.db].vendor

    def _do_search(self):
        if not self._ranking_possible():
            return super()._do_search()
        ids = self.ranked_ids()
        if not ids:
            return []
        objects = self.query_compiler.queryset.filter(pk__in=ids).order_by()
        by_pk = {obj.pk: obj for obj in objects}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def matched_ids_sql(self, newest: int | None = None) -> tuple[str, list] | None:  # run with `fetchall`
        """SQL selecting the matches' primary keys (for facet counts): all, or the `newest` most recently indexed.

        None when Wagtail's code decides.
        """
        if not self.can_rank():
            return None
        where, params, needs_page = self._filtered()
        sql, params = self.matched_sql(where=where, params=params, needs_page=needs_page)
        if newest is None:
            return sql, params
        return self.newest_matched_sql(sql, params, newest)

    def _do_count(self):
        if not self.can_rank():
            return super()._do_count()
        return self._count(None)

    def _count(self, limit: int | None) -> int:
        counted = self._known().get("count")  # a backend's candidates statement counted every match
        if counted is not None:
            return counted if limit is None else min(counted, limit)
        return self._count_matches(*self._filtered(), limit=limit)

    def _count_matches(self, where: str, params, needs_page: bool, *, limit: int | None) -> int:
        """The count of the matches under these filters (from `_filtered`), up to `limit`."""
        sql, params = self.matched_sql(where=where, params=params, needs_page=needs_page)
        if limit is not None:
            sql, params = f"{sql} LIMIT %s", [*params, limit]
        return self.fetchall(f"SELECT COUNT(*) FROM ({sql}) matched", params)[0][0]  # noqa: S608 - constants

    def capped_count(self, limit: int) -> int:
        """How many results, counting no further than `limit` (a common word's 60,000 matches cost a lot to count)."""
        if not self.can_rank():
            return min(self.count(), limit)
        known = self._known().get("total")  # every match was a candidate
        return min(known, limit) if known is not None else self._count(limit)
