"""RSS 2.0 and Atom feeds of the publication and of every hub.

Feed readers are anonymous and feeds are cached publicly, so every item is
decided for `Reader.anonymous()` whoever asks: a gated article carries its
headline, dek and teaser paragraphs and a link to the rest; an article free
for everyone carries its whole body. Nothing but `ArticleView.blocks` is
rendered.
"""

from __future__ import annotations

import copy
import datetime as dt

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from masthead.access.decisions import Reader
from masthead.access.models import AccessSettings
from masthead.access.rendering import article_view_for

from . import selectors
from .html import absolute_urls, site_base_url
from .publication import publication_name

FEED_CACHE_SECONDS = 300
DUBLIN_CORE = "http://purl.org/dc/elements/1.1/"


class ArticleRssFeed(Rss201rev2Feed):
    """RSS 2.0 with one `dc:creator` per author (RSS's own `author` must be an email address)."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": DUBLIN_CORE}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, _url in item.get("authors", ()):
            handler.addQuickElement("dc:creator", name)


class ArticleAtomFeed(Atom1Feed):
    """Atom with one `author` per author, each with the URL of their page."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, url in item.get("authors", ()):
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.addQuickElement("uri", url)
            handler.endElement("author")


class ArticleFeed(Feed):
    """The newest articles of a listing. Subclasses say which hub (`get_object`) and which articles (`articles`)."""

    feed_type: type[SyndicationFeed] = ArticleRssFeed
    item_guid_is_permalink = True

    # Set per request on a copy of the feed (`__call__`): the instance in the URLconf is shared between threads.
    request: HttpRequest
    now: dt.datetime
    default_paragraphs: int
    site_name: str

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        feed = copy.copy(self)
        feed.request = request
        feed.now = timezone.now()
        feed.default_paragraphs = AccessSettings.for_request(request).teaser_paragraphs
        feed.site_name = publication_name(request)
        response = Feed.__call__(feed, request, *args, **kwargs)
        # The same for every reader: anyone may cache it for a few minutes.
        patch_cache_control(response, public=True, max_age=FEED_CACHE_SECONDS)
        return response

    # The feed

    def hub_name(self, obj) -> str:
        return obj.name

    def title(self, obj) -> str:
        return f"{self.hub_name(obj)} | {self.site_name}" if obj is not None else self.site_name

    def link(self, obj) -> str:
        return obj.get_absolute_url() if obj is not None else "/"

    def description(self, obj) -> str:
        if obj is None:
            return f"The newest analysis from {self.site_name}."
        return getattr(obj, "description", "") or f"Analysis of {self.hub_name(obj)} from {self.site_name}."

    def subtitle(self, obj) -> str:  # Atom's name for the description
        return self.description(obj)

    def author_name(self, obj) -> str:
        # Atom needs an author for every entry; the publication stands in for any article without one.
        return self.site_name

    def articles(self, obj) -> list:
        raise NotImplementedError

    def items(self, obj) -> list:
        return self.articles(obj)

    # Each article

    def item_title(self, item) -> str:
        return item.title

    def item_link(self, item) -> str:
        return item.get_full_url(self.request)

    def item_guid(self, item) -> str:
        return item.get_full_url(self.request)

    def item_description(self, item) -> str:
        view = article_view_for(
            item, reader=Reader.anonymous(), now=self.now, default_paragraphs=self.default_paragraphs
        )
        html = render_to_string(
            "distribution/feed_item.html",
            {"article": item, "blocks": view.blocks, "full": view.full, "url": self.item_link(item)},
        )
        return absolute_urls(html, base_url=site_base_url(self.request)).strip()

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at or item.first_published_at

    def item_categories(self, item) -> list[str]:
        return [topic.name for topic in item.topics.all()]

    def item_extra_kwargs(self, item) -> dict:
        return {
            "authors": [
                (link.author.name, self.request.build_absolute_uri(link.author.get_absolute_url()))
                for link in item.article_authors.all()
            ]
        }


class LatestFeed(ArticleFeed):
    def get_object(self, request, *args, **kwargs):
        return None

    def articles(self, obj) -> list:
        return selectors.latest_feed_articles()


class TopicFeed(ArticleFeed):
    def get_object(self, request, slug: str):
        return selectors.topic(slug=slug)

    def articles(self, obj) -> list:
        return selectors.topic_feed_articles(topic=obj)


class RegionFeed(ArticleFeed):
    def get_object(self, request, slug: str):
        return selectors.region(slug=slug)

    def articles(self, obj) -> list:
        return selectors.region_feed_articles(region=obj)


class CountryFeed(ArticleFeed):
    def get_object(self, request, slug: str):
        return selectors.country(slug=slug)

    def articles(self, obj) -> list:
        return selectors.country_feed_articles(country=obj)


class AuthorFeed(ArticleFeed):
    def get_object(self, request, slug: str):
        return selectors.author(slug=slug)

    def description(self, obj) -> str:
        return obj.bio or f"Articles by {obj.name} in {self.site_name}."

    def articles(self, obj) -> list:
        return selectors.author_feed_articles(author=obj)


class LatestAtomFeed(LatestFeed):
    feed_type = ArticleAtomFeed


class TopicAtomFeed(TopicFeed):
    feed_type = ArticleAtomFeed


class RegionAtomFeed(RegionFeed):
    feed_type = ArticleAtomFeed


class CountryAtomFeed(CountryFeed):
    feed_type = ArticleAtomFeed


class AuthorAtomFeed(AuthorFeed):
    feed_type = ArticleAtomFeed
