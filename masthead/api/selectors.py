"""Reads of the content API. Every listing is prefetched so a request makes the same queries whatever its size.

Only live articles outside Wagtail's private sections are ever listed or served.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from wagtail.query import PageQuerySet

from masthead.articles.models import ArticleAuthor, ArticlePage, Author, Country, Topic, WorldRegion
from masthead.articles.selectors import NEWEST_FIRST


def _published() -> PageQuerySet:
    return (
        ArticlePage.objects.live()
        .public()
        .prefetch_related(
            Prefetch("article_authors", queryset=ArticleAuthor.objects.select_related("author").order_by("sort_order")),
            "topics",
            "countries",
        )
    )


def article_list(
    *,
    topic: Topic | None = None,
    country: Country | None = None,
    region: WorldRegion | None = None,
    kind: str | None = None,
    author: Author | None = None,
) -> QuerySet[ArticlePage]:
    """Published articles, newest first, matching every filter given. Bodies are not loaded."""
    queryset = _published().defer_streamfields().order_by(*NEWEST_FIRST)
    if topic is not None:
        queryset = queryset.filter(
            pk__in=ArticlePage.topics.through.objects.filter(topic=topic).values("articlepage_id")
        )
    if country is not None:
        queryset = queryset.filter(
            pk__in=ArticlePage.countries.through.objects.filter(country=country).values("articlepage_id")
        )
    if region is not None:
        # A subquery, not a join: an article about three countries of one region is listed once.
        queryset = queryset.filter(
            pk__in=ArticlePage.countries.through.objects.filter(country__region=region).values("articlepage_id")
        )
    if kind:
        queryset = queryset.filter(kind=kind)
    if author is not None:
        queryset = queryset.filter(pk__in=ArticleAuthor.objects.filter(author=author).values("page_id"))
    return queryset


def article(*, pk: int) -> ArticlePage | None:
    """One published article with its body, or None."""
    return _published().filter(pk=pk).first()


def topic_by_slug(slug: str) -> Topic | None:
    return Topic.objects.filter(slug=slug).first()


def region_by_slug(slug: str) -> WorldRegion | None:
    return WorldRegion.objects.filter(slug=slug).first()


def country_by_code(code: str) -> Country | None:
    return Country.objects.filter(code=code).first()


def author_by_slug(slug: str) -> Author | None:
    return Author.objects.filter(slug=slug).first()
