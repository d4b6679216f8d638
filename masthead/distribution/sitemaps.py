"""Sitemaps beside Wagtail's `/sitemap.xml`: the hubs, Google News, and an index of all three.

Like Wagtail's, they carry addresses, dates and headlines, never body text.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from . import selectors
from .publication import publication_name

SITEMAP_CACHE_SECONDS = 300
NEWS_LANGUAGE = "en"


class HubSitemap(Sitemap):
    """Topic, world region, country and author hubs that list at least one live article."""

    def items(self):
        return selectors.hubs_for_sitemap()

    def location(self, item) -> str:
        return item.get_absolute_url()

    def lastmod(self, item):
        return item.lastmod


def _cached(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=SITEMAP_CACHE_SECONDS)
    response.headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


@require_safe
def hubs_sitemap(request: HttpRequest) -> HttpResponse:
    response = django_sitemap(request, {"hubs": HubSitemap()})
    response.render()
    return _cached(response)


@require_safe
def news_sitemap(request: HttpRequest) -> HttpResponse:
    """Google News: articles of the last two days with the publication, language, date and headline."""
    articles = selectors.news_sitemap_articles(now=timezone.now())
    entries = [
        {"location": article.get_full_url(request), "published": article.first_published_at, "title": article.title}
        for article in articles
    ]
    response = TemplateResponse(
        request,
        "distribution/news_sitemap.xml",
        {"entries": entries, "publication": publication_name(request), "language": NEWS_LANGUAGE},
        content_type="application/xml",
    )
    response.render()
    return _cached(response)


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """The sitemaps to submit to search engines: Wagtail's pages, the hubs, and the news sitemap."""
    locations = [
        request.build_absolute_uri(reverse(name))
        for name in ("sitemap", "distribution:hubs_sitemap", "distribution:news_sitemap")
    ]
    response = TemplateResponse(
        request, "distribution/sitemap_index.xml", {"locations": locations}, content_type="application/xml"
    )
    response.render()
    return _cached(response)
