"""The pages the benchmark measures make the same number of queries whatever the size of the library.

A library is generated, each page is counted, the library is tripled and each
page counted again. Each count is of a second request, the first having made
what a long-running site already has (image renditions, the site root cache).
Both libraries fill every listing, and every article is given a lead image
(a card without a picture skips the renditions query), so a difference can
only come from queries that grow with the library.
"""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from masthead.articles.models import ArticlePage, Topic
from masthead.core.memo import forget_all

SMALL = 60
GROWTH = 120


def grow(articles: int) -> None:
    call_command("demo_library", articles=articles, no_index=True, stdout=io.StringIO(), stderr=io.StringIO())
    picture = ArticlePage.objects.exclude(lead_image=None).values_list("lead_image", flat=True).first()
    ArticlePage.objects.filter(lead_image=None).update(lead_image=picture)


def queries(client, url: str) -> int:
    """Queries of a full render: kept pages and renderings (masthead.articles.serving) are forgotten first."""
    assert client.get(url).status_code == 200, url
    forget_all()
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.django_db
def test_article_home_and_topic_hub_make_a_fixed_number_of_queries_whatever_the_library_size(client):
    grow(SMALL)
    article = ArticlePage.objects.live().order_by("path").first()
    topic = Topic.objects.annotate(n=Count("articles")).order_by("-n", "slug").first()
    assert article is not None and topic is not None
    pages = {"article": article.url, "home": "/", "topic_hub": reverse("articles:topic", kwargs={"slug": topic.slug})}

    small = {name: queries(client, url) for name, url in pages.items()}
    grow(GROWTH)
    assert ArticlePage.objects.live().count() == SMALL + GROWTH
    large = {name: queries(client, url) for name, url in pages.items()}

    assert large == small
