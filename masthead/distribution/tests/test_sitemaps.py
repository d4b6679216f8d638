import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from masthead.articles.tests.factories import AuthorFactory, TopicFactory, days_ago, make_article

pytestmark = pytest.mark.django_db


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own response, in a test


SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def urls(content: bytes) -> dict[str, ET.Element]:
    return {url.findtext(f"{SITEMAP}loc"): url for url in parse_xml(content).findall(f"{SITEMAP}url")}


def test_the_sitemap_lists_live_articles_with_their_last_change_and_never_drafts(client):
    article = make_article()
    draft = make_article(live=False)

    listed = urls(client.get("/sitemap.xml").content)

    lastmod = listed[article.get_full_url()].findtext(f"{SITEMAP}lastmod")
    assert lastmod == timezone.localtime(article.last_published_at).date().isoformat()
    assert draft.get_full_url() not in listed


def test_the_news_sitemap_lists_articles_of_the_last_two_days_with_publication_language_date_and_headline(client):
    recent = make_article(title="Talks resume in Doha & Muscat", published_at=days_ago(1))
    old = make_article(published_at=days_ago(3))
    draft = make_article(live=False)
    private = make_article()
    PageViewRestriction.objects.create(page=private, restriction_type="password", password="secret")

    response = client.get(reverse("distribution:news_sitemap"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    listed = urls(response.content)
    assert list(listed) == [recent.get_full_url()]
    assert old.get_full_url() not in listed and draft.get_full_url() not in listed
    news = listed[recent.get_full_url()].find(f"{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "The Meridian Review"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == "Talks resume in Doha & Muscat"
    assert dt.datetime.fromisoformat(news.findtext(f"{NEWS}publication_date")) == recent.first_published_at


def test_the_hubs_sitemap_lists_the_hubs_that_have_live_articles(client, country):
    topic = TopicFactory(slug="energy")
    empty_topic = TopicFactory(slug="empty")
    author = AuthorFactory(slug="amara")
    make_article(topics=[topic], countries=[country], authors=[author])
    make_article(topics=[empty_topic], live=False)

    listed = urls(client.get(reverse("distribution:hubs_sitemap")).content)

    for hub in (topic, country, country.region, author):
        assert f"http://testserver{hub.get_absolute_url()}" in listed
        assert listed[f"http://testserver{hub.get_absolute_url()}"].findtext(f"{SITEMAP}lastmod")
    assert f"http://testserver{empty_topic.get_absolute_url()}" not in listed


def test_the_sitemap_index_names_the_pages_hubs_and_news_sitemaps(client):
    response = client.get(reverse("distribution:sitemap_index"))

    locations = [loc.text for loc in parse_xml(response.content).iter(f"{SITEMAP}loc")]
    assert locations == [
        "http://testserver/sitemap.xml",
        "http://testserver/sitemap-hubs.xml",
        "http://testserver/news-sitemap.xml",
    ]
    assert response["Cache-Control"] == "public, max-age=300"
