"""Gated text never leaves the server through a feed or a sitemap, whoever asks.

A marker is planted in the fifth of six paragraphs of a gated article (the
teaser is the first three). Each test also asserts that the article itself is
there (its teaser, its address or headline), so it fails if the feed or
sitemap simply lost the article.
"""

import pytest
from django.urls import reverse

from masthead.articles.tests.factories import make_article, paragraphs

from .readers import READERS_WITH_ACCESS, READERS_WITHOUT_ACCESS, gated_article_with_marker, sign_in

pytestmark = pytest.mark.django_db

EVERY_READER = {**READERS_WITHOUT_ACCESS, **READERS_WITH_ACCESS}


def feed_urls(article) -> list[str]:
    """Every feed the article appears in: the publication's and its topic, region, country and author's."""
    topic = article.topics.get()
    country = article.countries.get()
    author = article.article_authors.get().author
    urls = [reverse("distribution:latest_rss"), reverse("distribution:latest_atom")]
    for kind, slug in [("topic", topic.slug), ("region", country.region.slug), ("country", country.slug)]:
        urls += [reverse(f"distribution:{kind}_rss", args=[slug]), reverse(f"distribution:{kind}_atom", args=[slug])]
    urls += [
        reverse("distribution:author_rss", args=[author.slug]),
        reverse("distribution:author_atom", args=[author.slug]),
    ]
    return urls


@pytest.mark.parametrize("reader", EVERY_READER.keys())
def test_every_feed_carries_the_teaser_of_a_gated_article_but_never_the_text_after_it(client, reader):
    # Feeds are cached publicly, so even a reader with access gets the anonymous teaser there.
    planted = gated_article_with_marker()
    sign_in(client, EVERY_READER[reader][0])

    urls = feed_urls(planted.article)
    assert len(urls) == 10
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert planted.teaser_marker in content, url
        assert "Read the full article" in content, url
        assert planted.gated_marker not in content, url
        assert "fourth paragraph" not in content, url


@pytest.mark.parametrize("reader", READERS_WITHOUT_ACCESS.keys())
def test_no_sitemap_carries_any_body_text(client, reader):
    planted = gated_article_with_marker()
    sign_in(client, READERS_WITHOUT_ACCESS[reader][0])

    wagtail_sitemap = client.get("/sitemap.xml").content.decode()
    news_sitemap = client.get("/news-sitemap.xml").content.decode()
    hubs_sitemap = client.get("/sitemap-hubs.xml").content.decode()
    sitemap_index = client.get("/sitemap-index.xml").content.decode()

    assert planted.article.get_full_url() in wagtail_sitemap
    assert planted.article.get_full_url() in news_sitemap
    assert planted.article.title in news_sitemap
    assert planted.article.topics.get().get_absolute_url() in hubs_sitemap
    for content in (wagtail_sitemap, news_sitemap, hubs_sitemap, sitemap_index):
        assert planted.gated_marker not in content
        assert planted.teaser_marker not in content
        assert "paragraph" not in content
        assert planted.article.dek not in content


def test_a_free_article_carries_its_whole_body_in_every_feed(client):
    planted = gated_article_with_marker(free_for_everyone=True)

    for url in feed_urls(planted.article):
        content = client.get(url).content.decode()
        assert planted.teaser_marker in content, url
        assert planted.gated_marker in content, url
        assert "The sixth paragraph concludes." in content, url
        assert "Read the full article" not in content, url


def test_a_feed_cuts_an_article_at_its_own_teaser_length(client):
    planted = gated_article_with_marker(teaser_paragraphs=1)

    content = client.get(reverse("distribution:latest_rss")).content.decode()

    assert planted.teaser_marker in content
    assert "second paragraph of the teaser" not in content
    assert planted.gated_marker not in content


def test_a_gated_article_shorter_than_the_teaser_never_shows_whole_in_a_feed(client):
    make_article(body=paragraphs("Opening, in the teaser.", "LAST-PARAGRAPH-OF-TWO"))

    content = client.get(reverse("distribution:latest_rss")).content.decode()

    assert "Opening, in the teaser." in content
    assert "LAST-PARAGRAPH-OF-TWO" not in content
