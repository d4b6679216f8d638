"""Wagtail's PostgreSQL backend, with the English configuration and ranking from the GIN index.

- Stemming: `SEARCH_CONFIG` defaults to `english` (Wagtail leaves it to the
  server's `default_text_search_config`, which may be `simple`).
- Weights: Wagtail maps search-field boosts to tsvector weights A-D, so the
  dek (boost 2) outweighs the body; the headline has its own vector.
- Ranking: `title || body` is matched through the GIN index of migration
  0007, then 0008 (on `(title || body, masthead_filters, id + 0)`); a bounded
  set of candidates is ordered by `ts_rank` times the recency factor; the
  queryset's filters are id sets, and their filter terms (`terms.py`).
- Indexing: each field's text is computed once per object, not once per
  column; relations that only filter (topics, countries, authors) are read
  once per batch, a query per filter path, for the entries' filter terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

import psycopg
from django.contrib.postgres.search import SearchQuery
from django.db import connections, transaction
from django.db.models import FloatField
from django.db.models.sql.subqueries import InsertQuery
from wagtail.search.backends.database.postgres.postgres import (
    IndexEntry,
    ObjectIndexer,
    PostgresAutocompleteQueryCompiler,
    PostgresIndex,
    PostgresSearchBackend,
    PostgresSearchQueryCompiler,
    PostgresSearchResults,
)
from wagtail.search.index import RelatedFields
from wagtail.search.query import And, Fuzzy, MatchAll, Not, Phrase, PlainText
from wagtail.search.utils import get_content_type_pk

from masthead.core.memo import Memo
from masthead.search import index_version
from masthead.search.index_version import VersionedIndex, changed
from masthead.search.query import WORD_PATTERN

from .indexing import _has_text
from .ranking import RankedSearch, rankable, recency_sql_postgres
from .terms import digest_term, terms_for

ENTRY_TABLE = "wagtailsearch_indexentry"
# A phrase as the query parser makes it: its words (a hyphen joining a word's parts), single spaces between
_WORDS = re.compile(f"{WORD_PATTERN}( {WORD_PATTERN})*")
# Migration 0004's expression index: each entry's word pairs, neighbours and across one place (0010), so a phrase
# reads few entries.
PAIRS_SQL = "masthead_word_pairs(e.title || e.body)"
TITLE_WEIGHT = 1.0  # the headline vector's rank, times Wagtail's title_norm, added to the body's
# How a search's statements are planned (`MastheadPostgresSearchResults.fetchall`): no sequential scans (see the
# class's docstring). Nor plain index scans: with a LIMIT (a capped count, the newest candidates) the planner likes
# to walk the primary key and check the vector of every entry on the way, which it prices as cheap but which reads
# each one out of line (2-3 s for a common word). Bitmaps from the GIN index (and index-only scans) remain. No JIT:
# a common word's estimated cost passes `jit_above_cost`, and compiling the plan (up to 2 s with inlining and
# optimisation) costs far more than running it. Each setting for the current transaction only.
PLANNER_SQL = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true), "
    "set_config('jit', 'off', true)"
)
# How the statements that read no text vector are planned (`fetchall_without_vectors`: a filter's set of pages,
# whether every entry holds the current filter terms), the planner's own way but for nested loops and JIT. With
# the search's settings, or its own, the planner joined each of the 100,000 entries to the filter's relation one
# by one (it expects 226 pages of a region's 23,138): a region's set 220-290 ms, a topic's 80-250, a kind's 140,
# on a filter's first search after each change of content. Without nested loops it hashes them: 65-80 ms.
WITHOUT_VECTORS_PLANNER_SQL = "SELECT set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)"
# A range of entries (the newest, a year's) is named by this expression, which the GIN index (0007, 0008) holds
# beside the vector, and which the primary key cannot answer. With `e.id` itself the planner could read the range
# from the primary key and check the vector of every entry in it, reading each body out of line: it prices that
# check as cheap as any operator, and the two plans came within 1% of each other (a common word's candidates:
# 130-170 ms instead of 3-6 ms, depending on the statistics of the last ANALYZE).
RANGE_ID_SQL = "(e.id + 0)"
# (database, index version) -> the highest index entry id (`_newest_entry_id`)
_newest_entry_ids = Memo(4)
# (database, text search configuration, phrase) -> its word pairs' tsquery and whether they are the phrase: what the
# database's own functions make of the words (`_phrase_pairs`), the same until a migration changes them.
_phrase_pairs = Memo(1024)


def page_bits(ids: Iterable[int]) -> tuple[bytes, int]:
    """A set of page ids as (bits, the index of the last bit), for `get_bit`: bit n of the bytes is id n's.

    PostgreSQL numbers a byte's bits from the least significant. The bytes reach past the highest id's bit, so
    the last bit is never set, and `LEAST(id, last)` reads a clear bit for any id past the set's.
    """
    ids = list(ids)
    bits = bytearray((max(ids, default=0) + 1) // 8 + 1)
    for pk in ids:
        bits[pk >> 3] |= 1 << (pk & 7)
    return bytes(bits), len(bits) * 8 - 1


def count_range(*, newest: int, entries: int, matched: int, limit: int, terms_indexed: bool) -> int | None:
    """How many of the newest entries to count first, `matched` of the newest `entries` having matched; None: all.

    A range expected to hold a quarter more than `limit` matches, if it is at most half of the entries: the GIN
    index reads each entry id of a range, so a wide one costs more than it saves. With the filter's terms in the
    GIN index beside the words (`terms_indexed`), the index finds the filtered matches themselves, faster than
    the entry ids of a range holding as many: no range more than twice as wide as the matches expected in all
    entries. A common word in a kind's articles (1,077 matches in the newest 8,000 entries; a range of 46,400
    for 5,000): 8.0 ms with the range, 6.4 without.
    """
    needed = -(-limit * entries * 5 // (matched * 4))
    if needed > newest // 2:
        return None
    if terms_indexed and needed > 2 * (matched * newest // entries):
        return None
    return needed


class TermCounts(NamedTuple):
    """How many matches were counted, and how many of them hold each filter term (`filter_term_counts`)."""

    matched: int
    terms: dict[str, int]


class CachingObjectIndexer(ObjectIndexer):
    """Wagtail's indexer, reading each field of the object once instead of once per column."""

    def prepare_field(self, obj, field):
        if isinstance(field, RelatedFields) and not _has_text(field):
            return
        cache = self.__dict__.setdefault("_prepared", {})
        key = (id(obj), id(field))
        if key not in cache:
            cache[key] = list(super().prepare_field(obj, field))
        yield from cache[key]


class MastheadPostgresIndex(VersionedIndex, PostgresIndex):
    # A reindex's final refresh of the title norms rewrites only the entries whose norm is further than this share
    # from its new value (see `_refresh_title_norms`).
    TITLE_NORM_TOLERANCE = 0.02

    def add_items(self, model, objs):
        """Wagtail's upsert of index entries, with the caching indexer, each written with its title norm.

        Wagtail writes a new entry with a norm of 1.0, then updates it to `lavg / length(title)` (the
        average headline length over this one's): a second version of each row, and of its entries
        in the three GIN indexes. The norm is written with the entry instead, from the average of
        the entries already there; only into an empty index does the update still follow.
        """
        if not model.get_search_fields():
            return
        indexers = [CachingObjectIndexer(obj, self.backend) for obj in objs]
        if not indexers:
            return
        average = self._title_length_average()
        content_type_pk = get_content_type_pk(model)
        filter_terms = terms_for(model, [indexer.id for indexer in indexers], self.write_connection.alias)
        compiler = InsertQuery(IndexEntry).get_compiler(connection=self.write_connection)
        rows_sql = []
        params: list = []
        for indexer in indexers:
            params.extend((content_type_pk, indexer.id))
            vectors = []
            for name in ("title", "autocomplete", "body"):
                value = compiler.prepare_value(IndexEntry._meta.get_field(name), getattr(indexer, name))
                vectors.append(value.as_sql(compiler, self.write_connection))
                params.extend(vectors[-1][1])
            norm = "1.0"
            if average is not None:  # Wagtail's `lavg / ld`; 1.0 for an empty headline, as Wagtail leaves it
                norm = f"COALESCE(%s / NULLIF(length({vectors[0][0]}), 0), 1.0)"
                params.extend((average, *vectors[0][1]))
            params.extend((indexer.title_text, indexer.body_text, filter_terms[str(indexer.id)]))
            rows_sql.append(
                f"(%s, %s, {vectors[0][0]}, {vectors[1][0]}, {vectors[2][0]}, {norm}, %s, %s, array_to_tsvector(%s))"
            )
        with self.write_connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ENTRY_TABLE} "
                "(content_type_id, object_id, title, autocomplete, body, title_norm, title_text, body_text, "
                "masthead_filters) "
                f"(VALUES {', '.join(rows_sql)}) "
                "ON CONFLICT (content_type_id, object_id) DO UPDATE SET title = EXCLUDED.title, "
                "title_norm = EXCLUDED.title_norm, autocomplete = EXCLUDED.autocomplete, body = EXCLUDED.body, "
                "title_text = EXCLUDED.title_text, body_text = EXCLUDED.body_text, "
                "masthead_filters = EXCLUDED.masthead_filters",
                params,
            )
        if average is None:
            self._refresh_title_norms()
        changed()

    def _title_length_average(self) -> float | None:
        """The average headline length (lexemes) of the entries that have one, as Wagtail computes it; None: none."""
        with self.write_connection.cursor() as cursor:
            cursor.execute(f"SELECT AVG(length(title)) FROM {ENTRY_TABLE} WHERE length(title) > 0")  # noqa: S608
            average = cursor.fetchone()[0]
        return None if average is None else float(average)

    def _refresh_title_norms(self, full=False):
        """Wagtail's refresh; the full one (a reindex's last step) rewrites only the norms that moved.

        Wagtail's full refresh updates every entry: a new version of 100,000 rows and of their entries in
        the GIN indexes. The norms written with each entry (`add_items`) came from the average headline
        length of the entries before it, close to the final one; an entry is rewritten only when its norm
        is further than TITLE_NORM_TOLERANCE from the new value.
        """
        if not full:
            return super()._refresh_title_norms()
        average = self._title_length_average()
        if average is None:
            return None
        with self.write_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ENTRY_TABLE} SET title_norm = %s / length(title) "  # noqa: S608 - a constant
                "WHERE length(title) > 0 AND abs(title_norm - %s / length(title)) > %s * %s / length(title)",
                [average, average, self.TITLE_NORM_TOLERANCE, average],
            )
        return None

    def optimize(self) -> None:
        """Refresh the planner's statistics of the entries and their indexes (the word-pair expression's too)."""
        with self.write_connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ENTRY_TABLE}")


class TsqueryMixin:
    # The index vector this compiler matches: Wagtail's `title || body` (expression GIN index from
    # migrations 0002, 0003 and 0007), or `autocomplete` for autocomplete.
    VECTOR_SQL = "(e.title || e.body)"

    def build_tsquery_content(self, query, config=None, invert=False):
        # Wagtail's compiler drops the negation of a phrase (`-"gas pipeline"` would find it instead).
        if isinstance(query, Phrase):
            phrase = SearchQuery(query.query_string, search_type="phrase", config=config)
            return ~phrase if invert else phrase
        return super().build_tsquery_content(query, config=config, invert=invert)

    def tsquery_sql(self, backend, query=None):
        """SQL and parameters of the tsquery for this query (or `query`), built by Wagtail's compiler; None if none."""
        query = self.query if query is None else query
        if isinstance(query, (MatchAll, Fuzzy)) or (isinstance(query, Not) and isinstance(query.subquery, MatchAll)):
            return None
        tsquery = self.build_tsquery(query, config=self.get_config(backend))
        if tsquery is None:
            return None
        connection = connections[self.queryset.db]
        compiler = IndexEntry.objects.all().query.get_compiler(connection=connection)
        sql, params = compiler.compile(tsquery)
        return sql, list(params)


class MastheadPostgresQueryCompiler(TsqueryMixin, PostgresSearchQueryCompiler):
    pass


class MastheadPostgresAutocompleteCompiler(TsqueryMixin, PostgresAutocompleteQueryCompiler):
    VECTOR_SQL = "e.autocomplete"


class MastheadPostgresSearchResults(RankedSearch, PostgresSearchResults):
    """Matching through the GIN index; filters as id sets; ranking with `ts_rank` and the recency factor.

    PostgreSQL keeps each article's vectors out of line (TOAST), which its planner
    does not price: it would rather read every entry than the GIN index, so the
    search runs with sequential scans off (and JIT compilation off) for its
    transaction. `ts_rank` must read a match's whole body vector, so relevance
    takes the `CANDIDATES` best matches by their headline (small vector; newest
    entries first among equals) and ranks those fully; pages past them rank
    every other match.
    """

    MATCHED_ID_SQL = "CAST(e.object_id AS INTEGER)"
    # A list of page ids (more like this: about 120 candidates) is then found through the entries' unique
    # index; otherwise every entry the GIN index gives for the words had its phrases checked first (~1 s).
    ENTRY_ID_SQL = "e.object_id"
    PAGE_ID_SETS = True
    CANDIDATES = 400  # `ts_rank` reads the body vector out of line: fewer candidates than on SQLite
    RECENT_ENTRIES = 8000  # where a common word's candidates are looked for first (see `candidate_rows`)
    # (migration 0007: the GIN index holds `RANGE_ID_SQL` beside the vector, so the range is read from it)

    # A filter beyond "live" keeping at least PAGE_SET_MIN pages is passed as its filter set, their ids. Each
    # statement of a filtered search (candidates, count, facets) otherwise built the filter's pages again, as
    # a hash: a kind's or a region's 11,000-15,000 pages, 5-6 ms each time. The set is sent as a bit string
    # (`page_bits`), one bit per page id, which the server reads a match's bit from. Not a list for `= ANY`:
    # the planner estimates such a list element by element, which for a region's 23,000 pages took 3.6 ms of
    # every statement's planning (0.1 ms with the bits), more than the count's execution saved by it. A
    # smaller filter stays as SQL, whose page ids the entries' (content type, object id) index then finds
    # (ENTRY_ID_SQL above).
    #
    # A set whose entries lie close together (a year's or a month's: the index grows in publication order) also
    # names the range of their entry ids, which the GIN index reads beside the words (migration 0007): a search
    # in one year reads that year's matches, not every year's. A set spread over the whole index (a topic, a
    # kind) does not: the GIN index reads every entry id of a range, so a wide one costs more than it saves.
    PAGE_SET_MIN = 2000
    # The bits, then the index of their last bit, which is never set: a page id past it reads that one (a page
    # newer than the set, which the set's content version would not have been kept for anyway).
    PAGE_BIT_SQL = f"get_bit(%s::bytea, LEAST(GREATEST({MATCHED_ID_SQL}, 0), %s))"
    FILTER_SET_SQL = f"{PAGE_BIT_SQL} = 1"
    CLOSE_SET_SHARE = 4  # "close together": the entries' ids span at most a quarter of the index's
    CLOSE_SET_SQL = f"{FILTER_SET_SQL} AND {RANGE_ID_SQL} BETWEEN %s AND %s"  # the set, then its first and last entry

    # The entries' filter terms (`terms.py`, migration 0008), ANDed with the words in the GIN index.
    FILTER_TERMS_SQL = "e.masthead_filters @@ %s::tsquery"

    def _filter_set_or_filters(self):
        """The filter set (or filters), and the filter's terms when every entry of the model has the current ones.

        A common word in a kind's 15,000 pieces: its count read every match's row to check the page set
        (10,000 counted of 52,000 read, 21 ms); with the kind's term in the GIN index, only the kind's.
        """
        where, params, needs_page = super()._filter_set_or_filters()
        close = where == self.CLOSE_SET_SQL
        self._known()["close_set"] = close  # before the terms are ANDed (`candidate_rows`)
        filter_terms = self._ready_filter_terms()
        if filter_terms:
            if close:
                # The terms (a year's) find the set's entries in the GIN index without their range of entry ids,
                # whose two sides it reads as two one-sided ranges, each to the index's end, a key per entry: a
                # common word in a year's 15,000 entries, 6.7 -> 0.4 ms.
                where, params = self.FILTER_SET_SQL, params[:2]
            return f"({where}) AND {self.FILTER_TERMS_SQL}", [*params, filter_terms], needs_page
        return where, params, needs_page

    def terms_ready_sql(self, content_type_pk: int, digest: str) -> tuple[str, list]:
        sql = (
            f"SELECT (SELECT COUNT(*) FROM {ENTRY_TABLE} e WHERE e.content_type_id = %s) = "  # noqa: S608
            f"(SELECT COUNT(*) FROM {ENTRY_TABLE} e WHERE e.content_type_id = %s AND {self.FILTER_TERMS_SQL})"
        )
        return sql, [content_type_pk, content_type_pk, f"'{digest}'"]

    def filter_set_sql(self, where: str, needs_page: bool) -> str:
        page = "JOIN wagtailcore_page p ON p.id = CAST(e.object_id AS INTEGER) " if needs_page else ""
        return (
            f"SELECT {self.MATCHED_ID_SQL}, e.id FROM {ENTRY_TABLE} e {page}"  # noqa: S608 - constants
            f"WHERE e.content_type_id = %s AND ({where})"
        )

    def encode_filter_set(self, rows: list[tuple]) -> tuple[str, list] | None:
        if len(rows) < self.PAGE_SET_MIN:
            return None
        pages = page_bits(row[0] for row in rows)
        low, high = min(row[1] for row in rows), max(row[1] for row in rows)
        with connections[self.query_compiler.queryset.db].cursor() as cursor:  # not `fetchall`: see `_newest_entry_id`
            cursor.execute(f"SELECT MIN(id), MAX(id) FROM {ENTRY_TABLE}")  # noqa: S608 - a constant
            first, last = cursor.fetchone()
        if (high - low) * self.CLOSE_SET_SHARE <= last - first:
            return self.CLOSE_SET_SQL, [*pages, low, high]
        return self.FILTER_SET_SQL, list(pages)

    def live_sql(self, live: bool):
        """Whether the matched page is (not) among the pages that are not live, read as their bits (`page_bits`).

        Not `<> ALL` of their ids, which costs every match a lookup: 9,000 matches counted with 2,000 pages
        not live, 8.3 ms against 6.0. A page past the bits (newer than the last page not live) is live, as
        it is for the list.
        """
        from masthead.search.liveness import nonlive_page_ids

        from .filters import FilterSQL

        return FilterSQL(f"{self.PAGE_BIT_SQL} = {0 if live else 1}", list(page_bits(nonlive_page_ids())))

    def fetchall_without_vectors(self, sql: str, params) -> list[tuple]:
        return self.fetchall(sql, params, planner=WITHOUT_VECTORS_PLANNER_SQL)

    def fetchall(self, sql: str, params, *, planner: str = PLANNER_SQL) -> list[tuple]:
        """Run one of the search's statements with the planner set up for it (`PLANNER_SQL`), for it alone.

        Outside a transaction, the settings and the statement go in one message: the server runs the two in
        one implicit transaction, whose end drops the settings. One round trip, where BEGIN, the settings
        and COMMIT took three more (0.2-0.3 ms each search statement). Inside one (a test, ATOMIC_REQUESTS),
        or with server-side binding, which sends one statement per message: a savepoint, rolled back after
        the statement (a SELECT), which drops the settings there too.
        """
        connection = connections[self.query_compiler.queryset.db]
        with connection.cursor() as cursor:
            if not connection.in_atomic_block and isinstance(cursor.cursor, psycopg.ClientCursor):
                cursor.execute(f"{planner}; {sql}", params)
                cursor.nextset()
                return cursor.fetchall()
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(planner)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            transaction.set_rollback(True, using=connection.alias)
            return rows

    def _tsquery(self):
        return self.query_compiler.tsquery_sql(self.backend)

    def can_rank(self) -> bool:
        compiler = self.query_compiler
        return rankable(compiler.queryset) and not compiler.fields and self._tsquery() is not None

    def _from(self, where: str, match_sql: str, needs_page: bool) -> str:
        page = "JOIN wagtailcore_page p ON p.id = CAST(e.object_id AS INTEGER) " if needs_page else ""
        return f"FROM {ENTRY_TABLE} e {page}WHERE {match_sql} AND e.content_type_id = %s AND ({where})"

    def _match(self) -> tuple[str, list]:
        """The condition an entry matches the query by: the query against `title || body`, through the GIN index.

        A phrase makes the GIN index a mere prefilter: it holds no positions, so each entry having
        the phrase's words has its `title || body` built and the phrase looked for in it, reading
        the whole body vector out of line and copying it: for a phrase of common words, tens of
        thousands of entries. Such a query is split: the index matches the words (those of the
        phrases too) and the excluded words exactly, without a recheck; each phrase is then looked
        for in the headline vector (in line), and in the body vector only where the headline lacks
        it (`_phrase_found`), which is about three times cheaper. The same entries match.
        """
        query_sql, query_params = self._tsquery()
        split = self._split_query()
        if split is None:
            return f"{self.query_compiler.VECTOR_SQL} @@ ({query_sql})", query_params
        indexed, phrases, excluded = split
        compiler = self.query_compiler
        # A phrase that is its word pair needs no match of its words: the pairs imply them, and the planner,
        # given both, read every entry with the words to check them (99,150 for "per cent": 3.7 s).
        exact = {phrase.query_string for phrase in phrases if self._phrase_pairs(phrase)[1]}
        rest = [part for part in indexed if not (isinstance(part, PlainText) and part.query_string in exact)]
        if not rest or any(isinstance(part, PlainText) for part in rest):
            indexed = rest
        conditions, params = [], []
        if indexed:
            indexed_query = And(indexed) if len(indexed) > 1 else indexed[0]
            indexed_sql, indexed_params = compiler.tsquery_sql(self.backend, indexed_query)
            conditions, params = [f"{compiler.VECTOR_SQL} @@ ({indexed_sql})"], [*indexed_params]
        # A phrase the configuration reads as one word (a stop word beside it: "build-up" is 'build') is found
        # wherever its word is, which the index matched already; looked for in the body vectors instead, it read
        # every entry with the word ("-arms build-up": 143 ms, 440 ms with the vectors not in memory).
        wanted_phrases = [phrase for phrase in phrases if self._phrase_lexemes(phrase) > 1]
        for phrase, wanted in [(phrase, True) for phrase in wanted_phrases] + [(phrase, False) for phrase in excluded]:
            found, found_params = self._phrase_found(phrase, wanted=wanted)
            conditions.append(found)
            params += found_params
        return " AND ".join(conditions), params

    def _phrase_found(self, phrase: Phrase, *, wanted: bool) -> tuple[str, list]:
        """Whether `title || body` has the phrase (or, not `wanted`, lacks it), reading the body seldom.

        A wanted phrase with neighbouring words is looked for only in the entries having all its
        word pairs (migration 0004's index, 0010's); a phrase of exactly two words, neighbours or one
        stop word apart, *is* its pair, and no vector is read at all. Otherwise: in the headline vector (in line), else
        in the body vector, else, where the headline has one of its words (the phrase may begin in
        the headline and end in the body), in the two joined. A phrase of stop words only asks for
        nothing, as it does in the whole query.
        """
        compiler = self.query_compiler
        phrase_sql, phrase_params = compiler.tsquery_sql(self.backend, phrase)
        pairs, exact, _nodes = self._phrase_pairs(phrase) if wanted else (None, False, 0)
        # The entries having the pairs, as a list of ids found once per search (`_paired_entries`), never a
        # condition per entry: one body's pairs take ~2 ms.
        paired = "e.id = ANY(%s)"
        if exact:
            return paired, [self._paired_entries(phrase)]
        any_sql, any_params = compiler.tsquery_sql(self.backend, PlainText(phrase.query_string, operator="or"))
        has = (
            f"(e.title @@ ({phrase_sql}) OR e.body @@ ({phrase_sql}) "
            f"OR (e.title @@ ({any_sql}) AND (e.title || e.body) @@ ({phrase_sql})))"
        )
        has_params = [*phrase_params, *phrase_params, *any_params, *phrase_params]
        if pairs is not None:
            has, has_params = f"({paired} AND {has})", [self._paired_entries(phrase), *has_params]
        sql = f"(numnode({phrase_sql}) = 0 OR {has})" if wanted else f"NOT (numnode({phrase_sql}) > 0 AND {has})"
        return sql, [*phrase_params, *has_params]

    def _paired_entries(self, phrase: Phrase) -> list[int]:
        """The ids of the entries having all the phrase's word pairs (migration 0004's index), found once per search.

        Each statement of the search (candidates in a range, then in all entries, the count) built this list
        again, as an InitPlan: 4-5 ms each for "new offensive" (4,222 entries). Its length also bounds the
        number of matches (`candidate_rows`).
        """
        known = self._known().setdefault("paired_entries", {})
        if phrase.query_string not in known:
            pairs, _exact, _nodes = self._phrase_pairs(phrase)
            sql = f"SELECT e.id FROM {ENTRY_TABLE} e WHERE {PAIRS_SQL} @@ %s::tsquery"  # noqa: S608 - constants
            known[phrase.query_string] = [row[0] for row in self.fetchall(sql, [pairs])]
        return known[phrase.query_string]

    def _most_matches(self) -> int | None:
        """At most how many entries can match: the fewest having a wanted phrase's word pairs; None if not known."""
        split = self._split_query()
        if split is None:
            return None
        counts = [len(self._paired_entries(phrase)) for phrase in split[1] if self._phrase_pairs(phrase)[0]]
        return min(counts) if counts else None

    def _phrase_pairs(self, phrase: Phrase) -> tuple[str | None, bool, int]:
        """(the tsquery of the phrase's word pairs, or None if it has none; whether they are the phrase;
        the node count of the phrase's own tsquery).

        `masthead_phrase_pairs` (migrations 0004 and 0010), asked of the database once per process and
        phrase, since the words are the configuration's lexemes. The pairs are the phrase when it is one
        pair: its tsquery is `a <-> b` or, a stop word between, `a <2> b` (three nodes), and an entry has
        that pair exactly where it has the phrase (the pair's token is 64 bits of its MD5: a different
        pair with the same token, in one of 100,000 articles of ~1,300 pairs each, has a chance of about
        7 in a trillion).
        """
        config = self.query_compiler.get_config(self.backend)
        key = (self.query_compiler.queryset.db, config, phrase.query_string)
        found = _phrase_pairs.get(key)
        if found is None:
            vector = "to_tsvector(%s::regconfig, %s)" if config else "to_tsvector(%s)"
            query = "phraseto_tsquery(%s::regconfig, %s)" if config else "phraseto_tsquery(%s)"
            params = [config, phrase.query_string] if config else [phrase.query_string]
            with connections[self.query_compiler.queryset.db].cursor() as cursor:
                cursor.execute(f"SELECT masthead_phrase_pairs({vector})::text, numnode({query})", params * 2)
                pairs, nodes = cursor.fetchone()
            found = (pairs, pairs is not None and nodes == 3, nodes)
            _phrase_pairs.set(key, found)
        return found

    def _phrase_lexemes(self, phrase: Phrase) -> int:
        """How many lexemes the phrase's tsquery holds (0: stop words only), from its node count (`_phrase_pairs`)."""
        nodes = self._phrase_pairs(phrase)[2]
        return (nodes + 1) // 2  # n lexemes joined by n - 1 phrase operators

    def _split_query(self) -> tuple[list, list[Phrase], list[Phrase]] | None:
        """(what the index matches exactly, phrases, excluded phrases) of a query with a phrase; else None."""
        query = self.query_compiler.query
        if self.query_compiler.VECTOR_SQL != "(e.title || e.body)":
            return None
        indexed: list = []
        phrases: list[Phrase] = []
        excluded_phrases: list[Phrase] = []
        for part in query.subqueries if isinstance(query, And) else [query]:
            excluded = part.subquery if isinstance(part, Not) else None
            if isinstance(part, PlainText) and part.operator == "and":
                indexed.append(part)
            elif isinstance(part, Phrase) and _WORDS.fullmatch(part.query_string):
                indexed.append(PlainText(part.query_string, operator="and"))
                phrases.append(part)
            elif isinstance(excluded, PlainText):
                indexed.append(part)
            elif isinstance(excluded, Phrase) and _WORDS.fullmatch(excluded.query_string):
                excluded_phrases.append(excluded)
            else:
                return None
        if not (phrases or excluded_phrases) or not any(isinstance(part, PlainText) for part in indexed):
            return None
        return indexed, phrases, excluded_phrases

    def _text_rank(self, query_sql: str, query_params, alias: str) -> tuple[str, list]:
        if self.query_compiler.VECTOR_SQL == "e.autocomplete":
            return f"ts_rank({alias}.autocomplete, {query_sql})", [*query_params]
        weights = self.query_compiler.sql_weights
        return (
            f"(ts_rank(%s::float4[], {alias}.title, {query_sql}) * {alias}.title_norm * {TITLE_WEIGHT} "
            f"+ ts_rank(%s::float4[], {alias}.body, {query_sql}))",
            [weights, *query_params, weights, *query_params],
        )

    def candidate_rows(self, where: str, params, needs_page: bool) -> list[tuple]:
        """The candidates among the matches in the newest RECENT_ENTRIES index entries, if there are enough.

        A GIN index gives matches in no order, so taking the best CANDIDATES of a common word means
        reading every match's row. A range of entry ids (its own bitmap, ANDed with the GIN one)
        keeps the reads to the recent entries; a rarer word, or a filter keeping few pages, with fewer
        matches there, is looked for in a range as much wider, then among all entries.

        Each statement also counts the matches it read (`_note_matches`): the count then reads no
        more than it must (`_count`), or nothing at all once every entry was read.

        A close filter set (a year's) is read whole at once, candidates and count in one statement. Its
        range of entries is read from the GIN index whatever part of it is wanted: a past year's search
        read the index's newest entries and the year's 20,000 (finding nothing: 9 ms), then the year's again
        (15 ms); in the year's newest entries only, its candidates still cost 16 ms, and its count 13 more.
        """
        if self._known().get("close_set"):
            return self._candidates_after(where, params, needs_page, newest=0, recent=None)
        newest = self._newest_entry_id()
        most = self._most_matches()
        if most is not None and most <= self.FEW_PAIRED:  # a phrase in few entries: all of them at once
            return self._candidates_after(where, params, needs_page, newest=newest, recent=None)
        # The threshold as a value, not a subquery: the planner then knows how few entries are in range.
        recent = self.RECENT_ENTRIES
        rows = self._candidates_after(where, params, needs_page, newest=newest, recent=recent)
        if len(rows) >= self.CANDIDATES or recent >= newest:  # enough, or every entry read already
            return rows
        if rows:
            # A rarer word, or a filter keeping a share of the pages: a range as much wider as the matches were
            # fewer, twice over, which reads far fewer entries than all of them (a kind's word: 13 -> 5 ms)...
            recent = recent * 2 * self.CANDIDATES // len(rows)
            # ...unless the matches are so few that the count would read every entry anyway: all of them, once.
            if recent < newest and len(rows) * newest // self.RECENT_ENTRIES > self.FEW_MATCHES:
                rows = self._candidates_after(where, params, needs_page, newest=newest, recent=recent)
                if len(rows) >= self.CANDIDATES:
                    return rows
        return self._candidates_after(where, params, needs_page, newest=newest, recent=None)

    def _newest_entry_id(self) -> int:
        """The highest entry id (0 for none), once per index version in this process.

        Read from the primary key's end: not with `fetchall`, whose planner settings (plain index scans off) made
        this one row cost 25-40 ms. One a little old (an entry written as the version changed) only widens the
        ranges: `RANGE_ID_SQL > newest - recent` still holds the entries past it.
        """
        key = (self.query_compiler.queryset.db, index_version.current())
        newest = _newest_entry_ids.get(key)
        if newest is None:
            with connections[self.query_compiler.queryset.db].cursor() as cursor:
                cursor.execute(f"SELECT MAX(id) FROM {ENTRY_TABLE}")  # noqa: S608 - a constant
                newest = cursor.fetchone()[0] or 0
            _newest_entry_ids.set(key, newest)
        return newest

    # A search whose first range suggests at most this many matches in all reads every entry's match at once
    # (its candidates and its count in one statement) instead of a wider range first and a count after.
    FEW_MATCHES = 4000
    # A phrase whose word pairs are in at most this many entries (`_most_matches`) is read in all of them at once:
    # their ids are a list already, so the statement reads those rows only. "new offensive" (4,222 entries): one
    # statement, 20 ms, instead of the newest range, a wider one and a count (14, 17 and 12 ms).
    FEW_PAIRED = 10000

    def _candidates_after(self, where: str, params, needs_page: bool, *, newest: int, recent: int | None):
        """The candidates among the newest `recent` entries (None: all), noting how many matches they hold."""
        after = None if recent is None or recent >= newest else newest - recent
        rows = self.fetchall(*self.candidates_sql(where=where, params=params, needs_page=needs_page, after=after))
        self._note_matches(newest=newest, after=after, matched=rows[0][4] if rows else 0)
        return rows

    def _note_matches(self, *, newest: int, after: int | None, matched: int) -> None:
        """Remember the widest range of entries counted: all of them gives the count itself."""
        known = self._known()
        if after is None:
            known["count"] = matched
        else:
            known["matched_range"] = (newest, newest - after, matched)

    def _count(self, limit: int | None) -> int:
        """The count, up to `limit`; a common word's first in the newest entries, as many as should hold `limit`.

        The count statement builds the bitmap of every match before reading any: a word in 98,000 of
        100,000 entries, 6 ms before its 10,000th match is read. The candidates statement read the newest
        entries and counted the matches there (`_note_matches`); from that share, a range of entries
        expected to hold `limit` is counted first (`count_range`). The count is only taken from it when it
        reaches `limit`; otherwise every entry is counted, as before.
        """
        known = self._known()
        newest, entries, matched = known.get("matched_range", (0, 0, 0))
        if "count" in known or limit is None or not matched:
            return super()._count(limit)
        if matched >= limit:
            return limit
        where, params, needs_page = self._filtered()
        needed = count_range(
            newest=newest, entries=entries, matched=matched, limit=limit, terms_indexed=self.FILTER_TERMS_SQL in where
        )
        if needed is not None:
            in_range = self._count_matches(
                f"({where}) AND {RANGE_ID_SQL} > %s", [*params, newest - needed], needs_page, limit=limit
            )
            if in_range >= limit:
                return limit
        return super()._count(limit)

    def candidates_sql(self, *, where: str, params, needs_page: bool, after: int | None = None):
        recent = after is not None
        if recent:
            where, params = f"({where}) AND {RANGE_ID_SQL} > %s", [*params, after]
        query_sql, query_params = self._tsquery()
        match_sql, match_params = self._match()
        content_type_pk = get_content_type_pk(self.query_compiler.queryset.model)
        recency = recency_sql_postgres("p.first_published_at")
        headline = "e.autocomplete" if self.query_compiler.VECTOR_SQL == "e.autocomplete" else "e.title"
        text_rank, rank_params = self._text_rank(query_sql, query_params, "x")
        if recent:
            # A range's rows are only used when they are CANDIDATES (`candidate_rows`): with fewer, the range is
            # read again wider, so its entries' body vectors (out of line) are not read to rank them. A kind's
            # word with 106 matches in the newest range: 2.1 -> 1.4 ms, before all its 1,375 were read.
            text_rank = f"CASE WHEN w.matched >= {int(self.CANDIDATES)} THEN {text_rank} ELSE 0 END"
        # The fifth column: how many entries matched (the same in every row), counted before the LIMIT. The
        # matches are chosen by their ids and headlines alone; the chosen entries' vectors are read again by
        # their ids. Carrying every match's vectors through the count and the sort cost a common word's
        # 7,849 matches in the newest entries 6 ms more (16 ms against 10.6).
        sql = (
            f"SELECT w.id, p.live, -({text_rank} * {recency}), {0 if recent else 1}, w.matched "  # noqa: S608
            f"FROM (SELECT {self.MATCHED_ID_SQL} AS id, e.id AS entry_id, "
            f"COUNT(*) OVER () AS matched {self._from(where, match_sql, needs_page)} "
            f"ORDER BY ts_rank({headline}, {query_sql}) DESC, e.id DESC LIMIT {int(self.CANDIDATES)}) w "
            f"JOIN {ENTRY_TABLE} x ON x.id = w.entry_id JOIN wagtailcore_page p ON p.id = w.id"
        )
        return sql, [*rank_params, *match_params, content_type_pk, *params, *query_params]

    def not_among_sql(self, ids: list[int]) -> tuple[str, list]:
        return f"{self.MATCHED_ID_SQL} <> ALL(%s)", [ids]

    def ranked_sql(self, *, where: str, params, needs_page: bool, order: str, limit: int | None, offset: int):
        query_sql, query_params = self._tsquery()
        match_sql, match_params = self._match()
        content_type_pk = get_content_type_pk(self.query_compiler.queryset.model)
        recency = recency_sql_postgres("p.first_published_at")
        where_params = [*match_params, content_type_pk, *params]
        if order == "relevance":
            text_rank, rank_params = self._text_rank(query_sql, query_params, "e")
            sql = (
                f"SELECT p.id {self._from(where, match_sql, True)} AND p.live "
                f"ORDER BY {text_rank} * {recency} DESC, p.id DESC"
            )
            all_params = [*where_params, *rank_params]
        else:
            sql = (
                f"SELECT p.id {self._from(where, match_sql, True)} AND p.live "
                "ORDER BY p.first_published_at DESC NULLS LAST, p.id DESC"
            )
            all_params = where_params
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            all_params += [limit, offset]
        return sql, all_params

    def matched_sql(self, *, where: str, params, needs_page: bool):
        match_sql, match_params = self._match()
        content_type_pk = get_content_type_pk(self.query_compiler.queryset.model)
        sql = f"SELECT {self.MATCHED_ID_SQL} AS id {self._from(where, match_sql, needs_page)}"
        return sql, [*match_params, content_type_pk, *params]

    def newest_matched_sql(self, sql: str, params: list, limit: int) -> tuple[str, list]:
        # Not the primary key's order, which would check the vector of every entry walked.
        return f"{sql} ORDER BY {RANGE_ID_SQL} DESC LIMIT %s", [*params, limit]

    def filter_term_counts(self, newest: int, *, fewest: int = 0) -> tuple[str, list, TermCounts | None] | None:
        """The newest `newest` matches: SQL selecting their page ids, and how many hold each filter term.

        For the facets (kinds, topics, regions, authors, years: `terms.py`), read from the matched entries
        alone: counting them through each match's page and relations read 10,000 pages five times over (a
        common word's facets: 100 ms, 12-23 ms a facet). The newest matches are those from the entry of the
        `newest`-th, found by the entry ids alone (`_newest_matches`); `ts_stat` counts the terms of the
        entries from it on, and the SQL selects the same pages. Where there are at most `newest` matches (a
        phrase's paired entries say so), all of them, their number being the entries holding the digest
        term. The counts are None for fewer than `fewest` matches (or as many expected from the newest
        entries), whose pages are read faster. None: the entries' terms are not all current (or Wagtail's
        code decides).
        """
        if not self.can_rank():
            return None
        where, params, needs_page = self._filtered()
        if not self._filter_terms_ready():
            return None
        match_sql, match_params = self._match()
        from_sql = self._from(where, match_sql, needs_page)
        from_params = [*match_params, get_content_type_pk(self.query_compiler.queryset.model), *params]
        ids_sql = f"SELECT {self.MATCHED_ID_SQL} AS id {from_sql}"
        most = self._most_matches()
        if most is not None and most < fewest:
            return (*self.newest_matched_sql(ids_sql, from_params, newest), None)
        if most is None or most > newest:
            found = self._newest_matches(from_sql, from_params, newest, fewest)
            if found is None or found[1] < max(fewest, 1):  # few (expected or found)
                return (*self.newest_matched_sql(ids_sql, from_params, newest), None)
            first, matched = found
            if matched >= newest:  # the newest of more: from the first's entry on
                from_sql, from_params = f"{from_sql} AND {RANGE_ID_SQL} >= %s", [*from_params, first]
                ids_sql = f"SELECT {self.MATCHED_ID_SQL} AS id {from_sql}"
        # `ts_stat` runs a statement given as text: the parameters are quoted into it by the driver.
        operations: Any = connections[self.query_compiler.queryset.db].ops  # PostgreSQL's, with `compose_sql`
        entries = operations.compose_sql(f"SELECT e.masthead_filters {from_sql}", from_params)
        terms = dict(self.fetchall("SELECT word, ndoc FROM ts_stat(%s)", [entries]))
        matched = terms.get(digest_term(self.query_compiler.queryset.model), 0)  # every entry holds it
        if matched < max(fewest, 1):
            return ids_sql, from_params, None
        return ids_sql, from_params, TermCounts(matched, terms)

    def _newest_matches(self, from_sql: str, from_params: list, newest: int, fewest: int) -> tuple[int, int] | None:
        """The entry id of the `newest`-th newest match (of the oldest, if fewer), and how many there are, up to it.

        Sorting every match's entry id took a common word (98,000 matches) 29 ms. The newest matches are
        looked for among the newest `newest` * 5/4 entries (RECENT_ENTRIES at least) first; too few there,
        in a range as much wider as they were fewer, if that is at most half of the entries (the GIN index
        reads every entry id of a range: a wide one costs more than it saves); then among all of them.
        None: the newest entries held so few that fewer than `fewest` are expected in all (their pages are
        read faster).
        """
        last = self._newest_entry_id()

        def newest_sql(in_range: str) -> str:
            return (
                f"SELECT MIN(x.entry), COUNT(*) FROM (SELECT {RANGE_ID_SQL} AS entry {from_sql}{in_range} "  # noqa: S608
                "ORDER BY 1 DESC LIMIT %s) x"
            )

        entries = max(newest * 5 // 4, self.RECENT_ENTRIES)  # enough entries to tell how common the matches are
        while entries <= last // 2:
            first, matched = self.fetchall(
                newest_sql(f" AND {RANGE_ID_SQL} > %s"), [*from_params, last - entries, newest]
            )[0]
            if matched >= newest:
                return first, matched
            if matched * last // entries < fewest:
                return None
            if not matched:
                break
            entries = entries * newest * 5 // (matched * 4)
        first, matched = self.fetchall(newest_sql(""), [*from_params, newest])[0]
        return first, matched

    def score_field_type(self):
        return FloatField()


class MastheadPostgresSearchBackend(PostgresSearchBackend):
    index_class = MastheadPostgresIndex
    query_compiler_class = MastheadPostgresQueryCompiler
    autocomplete_query_compiler_class = MastheadPostgresAutocompleteCompiler
    results_class = MastheadPostgresSearchResults

    def __init__(self, params):
        params = {"SEARCH_CONFIG": "english", **params}
        super().__init__(params)


SearchBackend = MastheadPostgresSearchBackend
