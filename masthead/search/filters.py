"""The search page's filters, read from the query string and checked.

Every value a reader can send is either understood or reported: an unknown
topic, a malformed date or an impossible year gives an `InvalidFilter`
naming the parameter and what was wrong, never an exception further down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from masthead.articles.enums import ArticleKind
from masthead.articles.models import ArticlePage, Author, Country, Topic, WorldRegion
from masthead.articles.selectors import by_author, in_country, in_region, in_topic

from .query import clean_text

SORTS = {"relevance": "Relevance", "newest": "Newest"}
MAX_PAGE = 500
FIRST_YEAR = 1900
SLUG_LENGTH = 120


@dataclass(frozen=True)
class InvalidFilter:
    parameter: str
    message: str


@dataclass(frozen=True)
class SearchFilters:
    topic: Topic | None = None
    region: WorldRegion | None = None
    country: Country | None = None
    kind: str = ""
    author: Author | None = None
    year: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def any(self) -> bool:
        return any(
            (self.topic, self.region, self.country, self.kind, self.author, self.year, self.date_from, self.date_to)
        )

    def date_bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The publication times let through, [start, end), from the year and the date range together."""
        zone = timezone.get_current_timezone()
        starts, ends = [], []
        if self.year is not None:
            starts.append(dt.datetime(self.year, 1, 1, tzinfo=zone))
            ends.append(dt.datetime(self.year + 1, 1, 1, tzinfo=zone))
        if self.date_from is not None:
            starts.append(dt.datetime.combine(self.date_from, dt.time.min, tzinfo=zone))
        if self.date_to is not None:
            ends.append(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
        return (max(starts) if starts else None, min(ends) if ends else None)

    def apply(self, queryset: QuerySet[ArticlePage]) -> QuerySet[ArticlePage]:
        """The live articles these filters let through, as Wagtail's search can filter them (FilterFields)."""
        if self.topic is not None:
            queryset = queryset.filter(topics__slug=self.topic.slug)
        if self.country is not None:
            queryset = queryset.filter(countries__slug=self.country.slug)
        elif self.region is not None:
            queryset = queryset.filter(countries__region=self.region.pk)
        if self.author is not None:
            queryset = queryset.filter(article_authors__author=self.author.pk)
        return self._on_the_article(queryset)

    def listing(self, queryset: QuerySet[ArticlePage]) -> QuerySet[ArticlePage]:
        """The same articles as `apply`, the relations checked with EXISTS, for a listing by date.

        As a hub's: the database walks the date index and stops after the listing's pages. With the joins of
        `apply` SQLite joined first and sorted (the newest 200 of a region: 99 ms).
        """
        if self.topic is not None:
            queryset = queryset.filter(in_topic(self.topic))
        if self.country is not None:
            queryset = queryset.filter(in_country(self.country))
        elif self.region is not None:
            queryset = queryset.filter(in_region(self.region))
        if self.author is not None:
            queryset = queryset.filter(by_author(self.author))
        return self._on_the_article(queryset)

    def _on_the_article(self, queryset: QuerySet[ArticlePage]) -> QuerySet[ArticlePage]:
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        start, end = self.date_bounds()
        if start is not None and end is not None:
            # One range, so the backends read the date index once.
            queryset = queryset.filter(first_published_at__range=(start, end - dt.timedelta(microseconds=1)))
        elif start is not None:
            queryset = queryset.filter(first_published_at__gte=start)
        elif end is not None:
            queryset = queryset.filter(first_published_at__lt=end)
        return queryset


@dataclass(frozen=True)
class SearchRequest:
    """Everything the search page was asked, checked."""

    text: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: str = "relevance"
    page: int = 1
    errors: tuple[InvalidFilter, ...] = ()
    raw: dict[str, str] = field(default_factory=dict)  # the filter values as sent, to show them back


def _one(params: QueryDict, name: str) -> str:
    return clean_text(params.get(name, ""), limit=SLUG_LENGTH)


def _by_slug(model, params, name, label, errors):
    slug = _one(params, name)
    if not slug:
        return None
    found = model.objects.filter(slug=slug).first()
    if found is None:
        errors.append(InvalidFilter(name, f"There is no {label} “{slug}”."))
    return found


def _date(params, name, label, errors) -> dt.date | None:
    value = _one(params, name)
    if not value:
        return None
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        errors.append(InvalidFilter(name, f"The {label} date “{value}” is not a date like 2024-05-31."))
        return None
    if parsed.year < FIRST_YEAR or parsed == dt.date.max:
        errors.append(InvalidFilter(name, f"The {label} date “{value}” is out of range."))
        return None
    return parsed


def parse_request(params: QueryDict) -> SearchRequest:
    """Read the query string. Bad filter values are reported in `errors` and left out; nothing raises."""
    errors: list[InvalidFilter] = []
    text = clean_text(params.get("q", ""))
    topic = _by_slug(Topic, params, "topic", "topic", errors)
    region = _by_slug(WorldRegion, params, "region", "region", errors)
    country = _by_slug(Country, params, "country", "country", errors)
    author = _by_slug(Author, params, "author", "author", errors)

    kind = _one(params, "kind")
    if kind and kind not in ArticleKind.values:
        errors.append(InvalidFilter("kind", f"There is no kind of article “{kind}”."))
        kind = ""

    year = None
    raw_year = _one(params, "year")
    if raw_year:
        this_year = timezone.localdate().year
        if raw_year.isascii() and raw_year.isdigit() and FIRST_YEAR <= int(raw_year) <= this_year + 1:
            year = int(raw_year)
        else:
            errors.append(InvalidFilter("year", f"“{raw_year}” is not a year between {FIRST_YEAR} and {this_year}."))

    date_from = _date(params, "from", "from", errors)
    date_to = _date(params, "to", "to", errors)
    if date_from and date_to and date_from > date_to:
        errors.append(InvalidFilter("to", "The “to” date is before the “from” date."))
        date_to = None

    sort = _one(params, "sort") or "relevance"
    if sort not in SORTS:
        errors.append(InvalidFilter("sort", f"Results can be sorted by relevance or newest, not “{sort}”."))
        sort = "relevance"

    page = 1
    raw_page = _one(params, "page")
    # A bad page number is no filter: it gives the first page, as the archive does.
    if raw_page and raw_page.isascii() and raw_page.isdigit():
        page = max(1, min(int(raw_page[:6]), MAX_PAGE))

    filters = SearchFilters(
        topic=topic,
        region=region,
        country=country,
        kind=kind,
        author=author,
        year=year,
        date_from=date_from,
        date_to=date_to,
    )
    raw = {name: _one(params, name) for name in ("topic", "region", "country", "kind", "author", "year", "from", "to")}
    return SearchRequest(text=text, filters=filters, sort=sort, page=page, errors=tuple(errors), raw=raw)
