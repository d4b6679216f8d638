"""Reads for feeds and sitemaps. Listings come from `masthead.articles.selectors`, narrowed here.

Feeds and sitemaps leave the site without Wagtail's page-privacy check, so
everything here is limited to live articles outside private sections.
"""

from __future__ import annotations

import datetime as dt
from itertools import chain
from typing import cast

from django.db.models import Max, Q, QuerySet
from wagtail.query import PageQuerySet

from masthead.articles import selectors as article_selectors
from masthead.articles.models import ArticlePage, Author, Country, Topic, WorldRegion

FEED_LENGTH = 30
NEWS_SITEMAP_DAYS = 2
NEWS_SITEMAP_LIMIT = 1000  # Google reads at most 1,000 articles from a news sitemap


def _newest(queryset: QuerySet[ArticlePage]) -> list[ArticlePage]:
    return list(cast(PageQuerySet, queryset).public()[:FEED_LENGTH])


def latest_feed_articles() -> list[ArticlePage]:
    return _newest(article_selectors.article_list())


def topic_feed_articles(*, topic: Topic) -> list[ArticlePage]:
    return _newest(article_selectors.articles_for_topic(topic=topic))


def region_feed_articles(*, region: WorldRegion) -> list[ArticlePage]:
    return _newest(article_selectors.articles_for_region(region=region))


def country_feed_articles(*, country: Country) -> list[ArticlePage]:
    return _newest(article_selectors.articles_for_country(country=country))


def author_feed_articles(*, author: Author) -> list[ArticlePage]:
    return _newest(article_selectors.articles_by_author(author=author))


def topic(*, slug: str) -> Topic:
    return Topic.objects.get(slug=slug)


def region(*, slug: str) -> WorldRegion:
    return WorldRegion.objects.get(slug=slug)


def country(*, slug: str) -> Country:
    return Country.objects.get(slug=slug)


def author(*, slug: str) -> Author:
    return Author.objects.get(slug=slug)


def news_sitemap_articles(*, now: dt.datetime) -> list[ArticlePage]:
    """Articles first published in the last two days, newest first: headline and dates only, never the body."""
    since = now - dt.timedelta(days=NEWS_SITEMAP_DAYS)
    queryset = (
        ArticlePage.objects.live()
        .public()
        .filter(first_published_at__gte=since, first_published_at__lte=now)
        .order_by("-first_published_at", "-pk")
        .defer_streamfields()
    )
    return list(queryset[:NEWS_SITEMAP_LIMIT])


def _with_lastmod(queryset: QuerySet, relation: str) -> QuerySet:
    """Hubs with at least one live article, each with the time its newest article was last published."""
    live = Q(**{f"{relation}__live": True})
    return (
        queryset.annotate(lastmod=Max(f"{relation}__last_published_at", filter=live))
        .filter(lastmod__isnull=False)
        .order_by("pk")
    )


def hubs_for_sitemap() -> list:
    """Every topic, world region, country and author hub that lists at least one live article."""
    return list(
        chain(
            _with_lastmod(Topic.objects.all(), "articles"),
            _with_lastmod(WorldRegion.objects.all(), "countries__articles"),
            _with_lastmod(Country.objects.all(), "articles"),
            _with_lastmod(Author.objects.all(), "article_links__page"),
        )
    )
