"""Reads for search: results, facets, autocomplete, "more like this". Nothing here writes.

Everything goes through Wagtail's search API (`backend.search`,
`backend.autocomplete`) on querysets of live articles, so the same code runs
on SQLite, PostgreSQL, or OpenSearch/Elasticsearch with Wagtail's backends
(facet counts and "more like this" then use the database for their counts).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.query import Or, Phrase, PlainText

from masthead.articles.enums import ArticleKind
from masthead.articles.models import (
    ArticleAuthor,
    ArticlePage,
    Author,
    Country,
    Topic,
    WorldRegion,
)
from masthead.articles.selectors import NEWEST_FIRST, article_list
from masthead.articles.text import headline_key, normalised_words
from masthead.core import content_version
from masthead.core.memo import Memo

from . import index_version
from .filters import SearchFilters
from .query import STOPWORDS, ParsedQuery

PER_PAGE = 20
# Past this many matches the page says "More than 5,000" instead of counting them all, and sorted by newest it lists
# the newest 5,000. PostgreSQL checks each counted match in its row (its page, whether live, the filter): about a
# microsecond each, which a GIN index cannot spare it. At 10,000 a word in 9,974 articles took 10 ms to count, a
# third of its search; no reader reads the 5,001st match by paging, and a year or a date range goes further back.
COUNT_LIMIT = 5_000
# Sorted by relevance, the pages list the best this many; sorted by newest, every match (up to COUNT_LIMIT). The
# backends rank a bounded set of candidates first (PostgreSQL 400, SQLite 2,000: `CANDIDATES`), and a page past
# them ranked every other match: a word in most articles, page 21, 0.8-0.9 s on PostgreSQL and 0.6 s on SQLite,
# against 30-60 ms for page 1 to 20. No reader pages that deep by relevance; anyone could ask for it.
RELEVANCE_RESULTS = 400
# Sorted by newest, a page's matches are looked for in the newest pages first (`_newest_ids`), in a window of at
# least NEWEST_WINDOW_MIN and at most NEWEST_WINDOW_MAX pages; past it, every match is sorted by date.
NEWEST_WINDOW_MIN = 100
NEWEST_WINDOW_MAX = 1_500
# ...when the search has at least this many matches: fewer are sorted faster than a window is searched (983 matches
# of a word in one region: 8 ms sorted, 28 ms in two windows).
NEWEST_WINDOW_MATCHES = 2_000
EXACT_HEADLINE_CANDIDATES = 10  # an exact headline shared by more: the newest
EXACT_HEADLINE_KEYED = 500  # articles of one headline key looked at (the most recently created), before the filters
FACET_LIMIT = 12  # values shown per facet, most frequent first
FIRST_FACET_YEAR = 1990
FACET_CACHE_SECONDS = 300
RESULTS_CACHE_SECONDS = 300
MORE_LIKE_THIS_CACHE_SECONDS = 600
MORE_LIKE_THIS_CANDIDATES = 60
MORE_LIKE_THIS_TEXT_HITS = 30
MORE_LIKE_THIS_PAIRS = 3
AUTOCOMPLETE_LIMIT = 6


def backend():
    return get_search_backend("default")


def live_articles() -> QuerySet[ArticlePage]:
    return ArticlePage.objects.live()


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchOutcome:
    """One page of results."""

    articles: list[ResultCard]
    total: int
    page: int
    per_page: int
    exact_ids: frozenset[int] = frozenset()
    more: bool = False  # more than `total` matched (the count stopped at COUNT_LIMIT)
    listed: int | None = None  # how many of them the pages list, if fewer (RELEVANCE_RESULTS)

    @property
    def pages(self) -> int:
        return _pages(self.total if self.listed is None else self.listed, self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def exact_headline_ids(query: ParsedQuery, queryset: QuerySet[ArticlePage]) -> list[int]:
    """Articles whose headline is what the reader typed (case and punctuation aside), newest first.

    Found by the headline key's index (`ArticlePage.headline_key`), not by the search index: a phrase of
    common words took 5-8 ms there, and only its newest matches were looked at. The key's articles are
    found first, alone: asked together with the queryset's filters and its order by date, PostgreSQL
    without the column's statistics walked every article by date to find one (150 ms).
    """
    key = headline_key(query.headline_text)
    if " " not in key or query.excluded:
        return []
    keyed = ArticlePage.objects.filter(headline_key=key).order_by("-pk").values_list("pk", flat=True)
    found = list(keyed[:EXACT_HEADLINE_KEYED])
    if not found:
        return []
    exact = queryset.filter(pk__in=found).order_by("-first_published_at", "-pk")
    return list(exact.values_list("pk", flat=True)[:EXACT_HEADLINE_CANDIDATES])


def search_articles(
    *,
    query: ParsedQuery,
    filters: SearchFilters,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
    fresh: bool = False,
) -> SearchOutcome:
    """A page of live articles matching the query and filters, ready to show as results.

    Relevance puts an exact headline match first, then the backend's ranking
    (headline and dek above body, a mild boost for recent articles).

    The page's ids and the count are kept for a few minutes per normalised query,
    filters, sort and page, and the count per query and filters (another page or
    sort counts nothing), all keyed on the content version and the index version
    (`index_version`): anything published, unpublished, edited or indexed since is
    searched afresh. `fresh` searches afresh anyway (the benchmark's cold figures).
    """
    if query.search_query() is None:
        return SearchOutcome(articles=[], total=0, page=1, per_page=per_page)
    version = content_version.current()
    keys = None if version < 0 else _results_keys(version, query, filters, sort, page, per_page)
    found = None if fresh or keys is None else cache.get(keys[0])
    if found is None:
        counted = None if fresh or keys is None else cache.get(keys[1])
        found = _search_page(query=query, filters=filters, sort=sort, page=page, per_page=per_page, counted=counted)
        if keys is not None:
            cache.set_many({keys[0]: found, keys[1]: (found.total, found.more)}, RESULTS_CACHE_SECONDS)
    return SearchOutcome(
        articles=result_cards(list(found.ids)),
        total=found.total,
        page=found.page,
        per_page=per_page,
        exact_ids=frozenset(found.exact),
        more=found.more,
        listed=_listed(found.total, sort),
    )


@dataclass(frozen=True)
class _Found:
    """What a search found for one page: what `search_articles` keeps."""

    ids: tuple[int, ...]
    total: int
    more: bool
    page: int
    exact: tuple[int, ...]


def _results_keys(version: int, query: ParsedQuery, filters: SearchFilters, sort: str, page: int, per_page: int):
    """(the page's key, the count's key)."""
    searched = f"{version}:{index_version.current()}:{COUNT_LIMIT}:{_cache_key(query, filters)}"
    return f"search:page:2:{RELEVANCE_RESULTS}:{searched}:{sort}:{page}:{per_page}", f"search:count:1:{searched}"


def _listed(total: int, sort: str) -> int | None:
    """How many of `total` matches the pages list, if fewer: the best RELEVANCE_RESULTS by relevance."""
    return RELEVANCE_RESULTS if sort == "relevance" and total > RELEVANCE_RESULTS else None


def _pages(listed: int, per_page: int) -> int:
    return max(1, -(-listed // per_page))


def _search_page(
    *, query: ParsedQuery, filters: SearchFilters, sort: str, page: int, per_page: int, counted: tuple[int, bool] | None
) -> _Found:
    """Search: the page's ids, the count (unless `counted` gives it: total, more) and the exact headline matches."""
    queryset = filters.apply(live_articles())
    exact: list[int] = []
    if sort == "relevance":
        exact = exact_headline_ids(query, queryset)
        ranked = queryset.exclude(pk__in=exact) if exact else queryset
        results = backend().search(query.search_query(), ranked, order_by_relevance=True)
    else:
        ordered = queryset.order_by("-first_published_at")
        results = backend().search(query.search_query(), ordered, order_by_relevance=False)

    def page_ids(number: int, total: int) -> list[int]:
        if sort == "newest" and total >= NEWEST_WINDOW_MATCHES:
            newest = _newest_ids(query, filters, (number - 1) * per_page, per_page)
            if newest is not None:
                return newest
        if number == 1:
            return exact + [pk for pk in _ids(results[: per_page - len(exact)]) if pk not in exact]
        offset = (number - 1) * per_page - len(exact)
        return [pk for pk in _ids(results[offset : offset + per_page]) if pk not in exact]

    # By relevance, the first page before the count: ranking it tells Masthead's backends the count of a short list.
    # By newest, the count first: it decides how the page is found.
    first_page = page_ids(1, 0) if page <= 1 and sort == "relevance" else None
    if counted is None:
        matched = _capped_count(results, COUNT_LIMIT + 1 - len(exact))
        total, more = min(matched + len(exact), COUNT_LIMIT), matched + len(exact) > COUNT_LIMIT
    else:
        total, more = counted
    listed = _listed(total, sort)
    page = min(max(1, page), _pages(total if listed is None else listed, per_page))
    ids = first_page if page == 1 and first_page is not None else page_ids(page, total)
    if listed is not None:  # the last page listed ends at the last result listed
        ids = ids[: listed - (page - 1) * per_page]
    return _Found(ids=tuple(ids), total=total, more=more, page=page, exact=tuple(exact))


def _newest_ids(query: ParsedQuery, filters: SearchFilters, offset: int, limit: int) -> list[int] | None:
    """The newest matches from `offset` to `offset + limit`, looked for among the newest pages; None: too far.

    Neither index keeps its matches in date order: sorting every match read all of them (a word in most
    articles at 100,000: 240 ms on PostgreSQL, 174 on SQLite). The newest pages under the filters (the date
    index, as a hub walks it) hold the newest matches, if they hold enough: all the pages newer than the
    window's last are in it. A window too short for the page is widened by the share of its pages that
    matched; past NEWEST_WINDOW_MAX pages (a rarer word, whose matches are few to sort), or once a window
    holds every page with a date, the caller sorts them all. Pages without a date come last in the backends'
    sort (NULLS LAST) but first in PostgreSQL's walk of the date index: windows leave them out.
    """
    needed = offset + limit
    size = max(NEWEST_WINDOW_MIN, 2 * needed)
    dated = filters.listing(live_articles()).filter(first_published_at__isnull=False)
    newest_first = dated.order_by(*NEWEST_FIRST)  # the page table's keys, as the backends' sort
    while size <= NEWEST_WINDOW_MAX:
        window = list(newest_first.values_list("pk", flat=True)[:size])
        within = live_articles().filter(pk__in=window).order_by("-first_published_at")  # the filters' pages
        found = _ids(backend().search(query.search_query(), within, order_by_relevance=False)[:needed])
        if len(found) >= needed:
            return found[offset:needed]
        if len(window) < size:  # every dated page, too few matches: those without a date follow them
            return None
        size = size * 8 if not found else -(-size * needed * 5 // (len(found) * 4))
    return None


def _capped_count(results, limit: int) -> int:
    """How many results, up to `limit`; Masthead's backends stop counting there."""
    capped_count = getattr(results, "capped_count", None)
    return capped_count(limit) if capped_count is not None else min(results.count(), limit)


def _ids(results) -> list[int]:
    """The primary keys of a slice of search results; Masthead's backends give them without loading objects."""
    ranked_ids = getattr(results, "ranked_ids", None)
    return ranked_ids() if ranked_ids is not None else [article.pk for article in results]


def cards(ids: list[int]) -> list[ArticlePage]:
    """These live articles, in this order, with what their cards and snippets show."""
    if not ids:
        return []
    by_pk = {article.pk: article for article in article_list().filter(pk__in=ids)}
    return [by_pk[pk] for pk in ids if pk in by_pk]


class ResultCard:
    """What a search result shows of a live article, read as plain values.

    Building the 20 results as Wagtail page objects (every column, modelcluster's
    relations, the bylines' author rows) cost 11-20 ms of a search at 100,000
    articles; these are read in two queries of values. `body` is the stored body
    (`StreamValue`, its blocks not decoded: snippets read `raw_data`). The URL is
    Wagtail's own (`Page.get_url`, whose methods read only `url_path` and the
    request's site root paths), so sites, i18n and WAGTAIL_APPEND_SLASH work as
    for a page.
    """

    __slots__ = (
        "_wagtail_cached_site_root_paths",  # where Wagtail's URL methods keep the site root paths
        "authors",
        "body",
        "dek",
        "first_published_at",
        "free_for_everyone",
        "kind",
        "pk",
        "teaser_paragraphs",
        "title",
        "url_path",
    )
    pk: int
    title: str
    dek: str
    kind: str
    first_published_at: dt.datetime | None
    free_for_everyone: bool
    teaser_paragraphs: int | None
    url_path: str
    body: Any  # wagtail.blocks.StreamValue
    authors: tuple[str, ...]  # names, in the byline's order

    get_url = Page.get_url
    get_url_parts = Page.get_url_parts
    _get_relevant_site_root_paths = Page._get_relevant_site_root_paths
    _get_site_root_paths = Page._get_site_root_paths

    def __init__(self, values: dict, authors: tuple[str, ...]):
        for name in _CARD_FIELDS:
            setattr(self, "pk" if name == "id" else name, values[name])
        self.authors = authors

    @property
    def id(self) -> int:
        return self.pk

    def get_kind_display(self) -> str:
        return str(_KIND_LABELS.get(self.kind, self.kind))

    def __repr__(self) -> str:
        return f"<ResultCard {self.pk}: {self.title}>"


_CARD_FIELDS = (
    "id",
    "title",
    "dek",
    "kind",
    "first_published_at",
    "free_for_everyone",
    "teaser_paragraphs",
    "url_path",
    "body",
)
_KIND_LABELS = dict(ArticleKind.choices)


def result_cards(ids: list[int]) -> list[ResultCard]:
    """These live articles, in this order, with what a search result shows: bylines, and the body for the snippet.

    Not `cards`: a result shows no picture and no topic.
    """
    if not ids:
        return []
    # Unordered: the rows are put in the order asked below. The listing's order (newest first) cost the
    # database a sort and Django 0.5-1 ms of compiling the statement (`get_order_by`).
    rows = article_list().defer(None).select_related(None).prefetch_related(None).order_by().filter(pk__in=ids)
    by_pk = {values["id"]: values for values in rows.values(*_CARD_FIELDS)}
    bylines = defaultdict(list)
    links = ArticleAuthor.objects.filter(page_id__in=list(by_pk)).order_by("sort_order", "pk")
    for page_id, name in links.values_list("page_id", "author__name"):
        bylines[page_id].append(name)
    return [ResultCard(by_pk[pk], tuple(bylines[pk])) for pk in ids if pk in by_pk]


# --- Facets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    value: str  # what goes in the query string
    label: str
    count: int
    selected: bool = False

    @property
    def count_display(self) -> str:
        return f"{self.count:,}"


@dataclass(frozen=True)
class Facet:
    parameter: str
    label: str
    values: list[FacetValue] = field(default_factory=list)
    sampled: bool = False  # the counts are of the newest FACET_SAMPLE matches, not of all of them


def _matched_ids_sql(results):
    """(SQL selecting the newest FACET_SAMPLE matching articles' ids, params); None if the backend is not Masthead's."""
    matched = getattr(results, "matched_ids_sql", None)
    return matched(newest=FACET_SAMPLE) if matched is not None else None


def _counts(rows) -> Counter:
    return Counter({key: count for key, count in rows if key is not None})


def search_facets(*, query: ParsedQuery, filters: SearchFilters, matches: int | None = None) -> list[Facet]:
    """Counts of the matching articles by topic, region, kind, author and year (cached for a few minutes).

    `matches`: how many the search found (its total), if known; it only decides how they are counted.
    """
    if query.search_query() is None:
        return []
    # The facets with their names and links' values: a cached page of results reads nothing more.
    key = f"search:facets:3:{FACET_SAMPLE}:" + _cache_key(query, filters)
    facets = cache.get(key)
    if facets is None:
        facets = _facets_from_counts(_facet_counts(query, filters, matches=matches), filters)
        cache.set(key, facets, FACET_CACHE_SECONDS)
    return facets


def _cache_key(query: ParsedQuery, filters: SearchFilters) -> str:
    import hashlib

    parts = [
        repr((query.words, query.phrases, query.excluded)),
        *(
            str(getattr(value, "pk", value))
            for value in (
                filters.topic,
                filters.region,
                filters.country,
                filters.kind,
                filters.author,
                filters.year,
                filters.date_from,
                filters.date_to,
            )
        ),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


# Facets count at most this many matches: the most recently indexed (with another backend, the best).
# Beyond it (a word in a fifth of the library) counting every match costs more than the whole page. As many as the
# count: past it the page says "More than 5,000", and its facets count the newest 5,000 (10,000 until session 14:
# a common word's uncached facets on PostgreSQL, p95 52 -> 33 ms).
FACET_SAMPLE = COUNT_LIMIT
# From this many matches, facets are counted from the matched entries' filter terms where the backend has them
# (PostgreSQL): fewer, their pages and relations are read faster (300 matches: 2 ms against 9).
FACET_TERMS_FEWEST = 2_000


def _last_facet_year() -> int:
    return timezone.localdate().year + 1


def _year_case(column: str) -> tuple[str, list]:
    """SQL for the year of `column` in the publication's time zone, as a CASE over each year's first instant."""
    zone = timezone.get_current_timezone()
    whens: list[str] = []
    params: list = []
    for year in range(_last_facet_year(), FIRST_FACET_YEAR - 1, -1):
        whens.append(f"WHEN {column} >= %s THEN {year}")
        params.append(dt.datetime(year, 1, 1, tzinfo=zone))
    if connection.vendor == "sqlite":  # compared as text there: as Django stores them
        params = [connection.ops.adapt_datetimefield_value(value) for value in params]
    return f"CASE {' '.join(whens)} ELSE NULL END", params


def _facet_counts(query: ParsedQuery, filters: SearchFilters, *, matches: int | None = None) -> dict[str, Counter]:
    """Every facet's counts over the newest FACET_SAMPLE matches.

    From the matches' filter terms where the backend has them (PostgreSQL: `filter_term_counts`), unless the
    search found fewer than FACET_TERMS_FEWEST (`matches`); otherwise in one statement over the matches, which
    are found once (a materialized CTE), and their pages and relations. `counts["matched"][""]` is how many
    matches were counted (FACET_SAMPLE at most).
    """
    results = backend().search(query.search_query(), filters.apply(live_articles()), order_by_relevance=False)
    term_counts = getattr(results, "filter_term_counts", None)
    if matches is not None and matches < FACET_TERMS_FEWEST:
        term_counts = None
    counted = term_counts(FACET_SAMPLE, fewest=FACET_TERMS_FEWEST) if term_counts is not None else None
    if counted is not None:
        matched_sql, matched_params, by_term = counted
        if by_term is None:  # few matches: their pages and relations are read at once
            return _facet_counts_from_pages(results, matched_sql, matched_params)
        return _facet_counts_from_terms(by_term.matched, by_term.terms)
    matched = _matched_ids_sql(results)
    if matched is None:
        return _facet_counts_sampled(query, filters)
    return _facet_counts_from_pages(results, *matched)


def _facet_counts_from_pages(results, matched_sql: str, matched_params: list) -> dict[str, Counter]:
    """Every facet's counts in one statement over the matches `matched_sql` selects, their pages and relations."""
    quote = connection.ops.quote_name
    topics = ArticlePage.topics.field
    countries = ArticlePage.countries.field
    author_link = ArticleAuthor._meta
    year_sql, year_params = _year_case("p.first_published_at")
    article_table = quote(ArticlePage._meta.db_table)
    # SQLite: CROSS JOIN keeps the matches as the outer loop (their rows are then found by key).
    join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    sql = (
        f"WITH m(id) AS MATERIALIZED ({matched_sql}) "  # noqa: S608 - names from the models; values are parameters
        f"SELECT 'kind', CAST(a.kind AS TEXT), COUNT(*) FROM m "
        f"{join} {article_table} a ON a.page_ptr_id = m.id GROUP BY a.kind "
        f"UNION ALL SELECT 'topic', CAST(t.{quote(topics.m2m_reverse_name())} AS TEXT), COUNT(*) FROM m "
        f"{join} {quote(topics.m2m_db_table())} t ON t.{quote(topics.m2m_column_name())} = m.id "
        f"GROUP BY t.{quote(topics.m2m_reverse_name())} "
        f"UNION ALL SELECT 'region', CAST(c.region_id AS TEXT), COUNT(DISTINCT m.id) FROM m "
        f"{join} {quote(countries.m2m_db_table())} t ON t.{quote(countries.m2m_column_name())} = m.id "
        f"JOIN {quote(Country._meta.db_table)} c ON c.id = t.{quote(countries.m2m_reverse_name())} "
        "GROUP BY c.region_id "
        f"UNION ALL SELECT 'author', CAST(l.author_id AS TEXT), COUNT(DISTINCT m.id) FROM m "
        f"{join} {quote(author_link.db_table)} l ON l.page_id = m.id GROUP BY l.author_id "
        f"UNION ALL SELECT 'year', CAST(y.year AS TEXT), COUNT(*) FROM (SELECT {year_sql} AS year FROM m "
        f"{join} wagtailcore_page p ON p.id = m.id) y GROUP BY y.year "
        "UNION ALL SELECT 'matched', '', COUNT(*) FROM m"
    )
    counts: dict[str, Counter] = {name: Counter() for name in ("kind", "topic", "region", "author", "year", "matched")}
    for facet, value, count in results.fetchall(sql, [*matched_params, *year_params]):
        if value is not None:
            counts[facet][value if facet in ("kind", "matched") else int(value)] = count
    counts["author"] = _most_common(counts["author"])
    return counts


def _facet_counts_from_terms(matched: int, term_counts: dict[str, int]) -> dict[str, Counter]:
    """The facets' counts from how many matches hold each filter term (`backends/terms.py`)."""
    counts: dict[str, Counter] = {name: Counter() for name in ("kind", "topic", "region", "author", "year")}
    facet_terms = _facet_terms()
    for term_, count in term_counts.items():
        facet_value = facet_terms.get(term_)
        if facet_value is not None:
            counts[facet_value[0]][facet_value[1]] = count
    counts["author"] = _most_common(counts["author"])
    counts["matched"] = Counter({"": matched})
    return counts


def _most_common(counter: Counter) -> Counter:
    """The FACET_LIMIT values counted most, the first ids first among equals (whatever order they were read in)."""
    return Counter(dict(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:FACET_LIMIT]))


# (content version, last year, time zone) -> {filter term: (facet, value)}, for `_facet_counts_from_terms`
_facet_terms_memo = Memo(2)


def _facet_terms() -> dict[str, tuple[str, Any]]:
    """Each facet value's term (`backends/terms.py`), with the facet and the value the facet counts it as."""
    from .backends.terms import term, year_term

    version = content_version.current()
    last_year = _last_facet_year()
    key = (version, last_year, timezone.get_current_timezone_name())
    found = _facet_terms_memo.get(key) if version >= 0 else None
    if found is None:
        found = {term("kind", kind): ("kind", kind) for kind in ArticleKind.values}
        found.update({term("topics.slug", slug): ("topic", pk) for pk, slug in Topic.objects.values_list("pk", "slug")})
        regions = WorldRegion.objects.values_list("pk", flat=True)
        found.update({term("countries.region", pk): ("region", pk) for pk in regions})
        authors = Author.objects.values_list("pk", flat=True)
        found.update({term("article_authors.author", pk): ("author", pk) for pk in authors})
        found.update({year_term(year): ("year", year) for year in range(FIRST_FACET_YEAR, last_year + 1)})
        if version >= 0:
            _facet_terms_memo.set(key, found)
    return found


def _facet_counts_sampled(query: ParsedQuery, filters: SearchFilters) -> dict[str, Counter]:
    """Facets through the ORM over the best matches, for backends that are not Masthead's (OpenSearch...)."""
    results = backend().search(query.search_query(), filters.apply(live_articles()), order_by_relevance=True)
    ids = [article.pk for article in results[:FACET_SAMPLE]]
    matched = ArticlePage.objects.filter(pk__in=ids)
    topic_through = ArticlePage.topics.through
    country_through = ArticlePage.countries.through
    zone = timezone.get_current_timezone()
    years = Counter(
        published.astimezone(zone).year
        for published in matched.values_list("first_published_at", flat=True)
        if published is not None
    )
    return {
        "kind": _counts(matched.values("kind").annotate(n=Count("pk")).values_list("kind", "n")),
        "topic": _counts(
            topic_through.objects.filter(articlepage_id__in=ids)
            .values("topic_id")
            .annotate(n=Count("articlepage_id"))
            .values_list("topic_id", "n")
        ),
        "region": _counts(
            country_through.objects.filter(articlepage_id__in=ids)
            .values("country__region_id")
            .annotate(n=Count("articlepage_id", distinct=True))
            .values_list("country__region_id", "n")
        ),
        "author": _counts(
            ArticleAuthor.objects.filter(page_id__in=ids)
            .values("author_id")
            .annotate(n=Count("page_id", distinct=True))
            .order_by("-n")
            .values_list("author_id", "n")[:FACET_LIMIT]
        ),
        "year": years,
        "matched": Counter({"": len(ids)}),
    }


def _facets_from_counts(counts: dict[str, Counter], filters: SearchFilters) -> list[Facet]:
    topics = {topic.pk: topic for topic in Topic.objects.filter(pk__in=list(counts["topic"]))}
    regions = {region.pk: region for region in WorldRegion.objects.filter(pk__in=list(counts["region"]))}
    authors = {author.pk: author for author in Author.objects.filter(pk__in=list(counts["author"]))}
    kind_labels = dict(ArticleKind.choices)

    def top(counter: Counter) -> list[tuple]:
        return sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))[:FACET_LIMIT]

    facets = [
        Facet(
            "topic",
            "Topic",
            [
                FacetValue(topics[pk].slug, topics[pk].name, n, filters.topic is not None and filters.topic.pk == pk)
                for pk, n in top(counts["topic"])
                if pk in topics
            ],
        ),
        Facet(
            "region",
            "Region",
            [
                FacetValue(
                    regions[pk].slug, regions[pk].name, n, filters.region is not None and filters.region.pk == pk
                )
                for pk, n in top(counts["region"])
                if pk in regions
            ],
        ),
        Facet(
            "kind",
            "Kind",
            [
                FacetValue(kind, str(kind_labels.get(kind, kind)), n, filters.kind == kind)
                for kind, n in top(counts["kind"])
            ],
        ),
        Facet(
            "author",
            "Author",
            [
                FacetValue(
                    authors[pk].slug, authors[pk].name, n, filters.author is not None and filters.author.pk == pk
                )
                for pk, n in top(counts["author"])
                if pk in authors
            ],
        ),
        Facet(
            "year",
            "Year",
            [
                FacetValue(str(year), str(year), n, filters.year == year)
                for year, n in sorted(counts["year"].items(), reverse=True)
            ],
        ),
    ]
    sampled = counts.get("matched", Counter())[""] >= FACET_SAMPLE
    return [replace(facet, sampled=sampled) for facet in facets if facet.values]


# --- Autocomplete --------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "article", "topic", "author"
    label: str
    url: str


def autocomplete(text: str, *, limit: int = AUTOCOMPLETE_LIMIT) -> list[Suggestion]:
    """Headlines, topics and authors that start with what the reader has typed so far."""
    words = normalised_words(text)[:6]
    if not words or (len(words[-1]) < 2 and len(words) == 1):
        return []
    typed = " ".join(words)
    suggestions: list[Suggestion] = []
    search = backend()

    def starts(label: str) -> bool:
        label_words = normalised_words(label)
        return all(any(word.startswith(part) for word in label_words) for part in words)

    for topic in search.autocomplete(typed, Topic.objects.all())[:limit]:
        if starts(topic.name):
            suggestions.append(Suggestion("topic", topic.name, topic.get_absolute_url()))
    for author in search.autocomplete(typed, Author.objects.all())[:limit]:
        if starts(author.name):
            suggestions.append(Suggestion("author", author.name, author.get_absolute_url()))
    articles = search.autocomplete(typed, live_articles().order_by("-first_published_at"), order_by_relevance=False)
    headlines = [article for article in articles[: limit * 3] if starts(article.title)][:limit]
    suggestions.extend(Suggestion("article", article.title, article.url) for article in headlines)
    return suggestions[: limit * 2]


# --- More like this ------------------------------------------------------------------------


def _keywords(article: ArticlePage, limit: int = 8) -> list[str]:
    """The headline's and dek's words that say what the article is about."""
    seen: list[str] = []
    for word in normalised_words(f"{article.title} {article.dek}"):
        if len(word) > 2 and word not in STOPWORDS and word not in seen and not word.isdigit():
            seen.append(word)
    return seen[:limit]


def more_like_this(article: ArticlePage, limit: int = 3) -> list[ArticlePage]:
    """Live articles like this one, for its page: shared topics and regions, and similar words.

    Candidates are the most recent articles sharing a topic or a world region
    (60 of each); the search backend ranks them by the pairs of neighbouring
    words of this article's headline and dek; each shared topic and region adds
    to the score. An article with neither topics nor countries is compared with
    the whole library by its words. Never the article itself. Ready for cards
    (authors, topics, image prefetched); cached per article revision.
    """
    key = f"search:mlt:{article.pk}:{limit}:{article.latest_revision_id or 0}"
    ids = cache.get(key)
    if ids is None:
        ids = _more_like_this_ids(article, limit)
        cache.set(key, ids, MORE_LIKE_THIS_CACHE_SECONDS)
    return cards(ids)


def _text_query(article: ArticlePage):
    """Pairs of neighbouring words of the headline and dek ("Nile dam", "energy gamble"), any of them."""
    pairs: list[str] = []
    for text in (article.title, article.dek):
        words = normalised_words(text)
        for first, second in itertools.pairwise(words):
            if first in STOPWORDS or second in STOPWORDS or first.isdigit() or second.isdigit():
                continue
            pair = f"{first} {second}"
            if pair not in pairs:
                pairs.append(pair)
    if not pairs:
        keywords = _keywords(article, limit=3)
        return PlainText(" ".join(keywords), operator="and") if keywords else None
    phrases = [Phrase(pair) for pair in pairs[:MORE_LIKE_THIS_PAIRS]]
    return phrases[0] if len(phrases) == 1 else Or(phrases)


def _more_like_this_ids(article: ArticlePage, limit: int) -> list[int]:
    topic_ids = set(article.topics.values_list("pk", flat=True))
    region_ids = set(article.countries.values_list("region_id", flat=True))
    topic_through = ArticlePage.topics.through
    country_through = ArticlePage.countries.through
    others = live_articles().exclude(pk=article.pk).order_by("-first_published_at")

    # Newest first through the date index, each page checked against the relation: stops after N.
    candidates: list[int] = []
    if topic_ids:
        sharing = topic_through.objects.filter(articlepage_id=OuterRef("pk"), topic_id__in=topic_ids)
        candidates += others.filter(Exists(sharing)).values_list("pk", flat=True)[:MORE_LIKE_THIS_CANDIDATES]
    if region_ids:
        sharing = country_through.objects.filter(articlepage_id=OuterRef("pk"), country__region_id__in=region_ids)
        candidates += (
            others.filter(Exists(sharing))
            .exclude(pk__in=candidates)
            .values_list("pk", flat=True)[:MORE_LIKE_THIS_CANDIDATES]
        )

    scores: dict[int, float] = defaultdict(float)
    text_query = _text_query(article)
    if text_query is not None:
        # The words rank the candidates; an article with no topic or place looks through the whole library.
        pool = others.order_by().filter(pk__in=candidates) if candidates else others.order_by()
        similar = backend().search(text_query, pool, order_by_relevance=True)
        for rank, found in enumerate(_ids(similar[:MORE_LIKE_THIS_TEXT_HITS])):
            scores[found] += 3.0 * (1.0 - rank / MORE_LIKE_THIS_TEXT_HITS)
    neighbours = set(candidates) | set(scores)
    if neighbours and topic_ids:
        for pk in topic_through.objects.filter(articlepage_id__in=neighbours, topic_id__in=topic_ids).values_list(
            "articlepage_id", flat=True
        ):
            scores[pk] += 1.0
    if neighbours and region_ids:
        shared_regions = (
            country_through.objects.filter(articlepage_id__in=neighbours, country__region_id__in=region_ids)
            .values("articlepage_id")
            .annotate(n=Count("country__region_id", distinct=True))
            .values_list("articlepage_id", "n")
        )
        for pk, count in shared_regions:
            scores[pk] += 0.75 * count
    # Among equals, the more recent candidate (earlier in `candidates`) first.
    recency = {pk: index for index, pk in enumerate(candidates)}
    scores.pop(article.pk, None)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], recency.get(item[0], len(recency)), -item[0]))
    ids = [pk for pk, _ in ordered[:limit]]
    if len(ids) < limit and text_query is not None and candidates:
        # Too few neighbours by topic and place: fill up with the library's closest words.
        similar = backend().search(text_query, others.order_by().exclude(pk__in=ids), order_by_relevance=True)
        ids += [pk for pk in _ids(similar[: limit - len(ids)]) if pk not in ids]
    return ids


__all__ = [
    "Facet",
    "FacetValue",
    "ResultCard",
    "SearchOutcome",
    "Suggestion",
    "autocomplete",
    "cards",
    "more_like_this",
    "result_cards",
    "search_articles",
    "search_facets",
]
