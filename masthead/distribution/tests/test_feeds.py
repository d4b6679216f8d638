import re
import xml.etree.ElementTree as ET

import pytest
from django.template import Context, Template
from django.urls import reverse
from wagtail.models import PageViewRestriction, Site

from masthead.access.models import AccessSettings
from masthead.articles.models import Country
from masthead.articles.tests.factories import (
    AuthorFactory,
    ImageFactory,
    TopicFactory,
    days_ago,
    make_article,
    paragraphs,
)
from masthead.distribution import selectors

from .readers import complimentary_reader

pytestmark = pytest.mark.django_db


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own response, in a test


ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


def rss_items(client, url) -> list[ET.Element]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    return parse_xml(response.content).findall("./channel/item")


def test_the_rss_item_names_the_article_its_link_guid_date_authors_and_topics(client):
    first, second = AuthorFactory(name="Amara Okonkwo"), AuthorFactory(name="Tomasz Ferreira")
    energy, ports = TopicFactory(name="Energy"), TopicFactory(name="Ports")
    article = make_article(
        title="Why the strait still decides the price of bread",
        dek="Insurers, not navies, set the terms.",
        authors=[first, second],
        topics=[energy, ports],
    )

    (item,) = rss_items(client, reverse("distribution:latest_rss"))

    url = article.get_full_url()
    assert item.findtext("title") == "Why the strait still decides the price of bread"
    assert item.findtext("link") == url
    assert item.findtext("guid") == url
    assert item.find("guid").get("isPermaLink") == "true"
    assert item.findtext("pubDate")
    assert [creator.text for creator in item.findall(f"{DC}creator")] == ["Amara Okonkwo", "Tomasz Ferreira"]
    assert sorted(category.text for category in item.findall("category")) == ["Energy", "Ports"]
    description = item.findtext("description")
    assert "<strong>Insurers, not navies, set the terms.</strong>" in description
    assert f'<a href="{url}">Read the full article</a>' in description


def test_the_atom_entry_carries_a_summary_dates_and_each_author_with_their_page(client):
    author = AuthorFactory(name="Amara Okonkwo", slug="amara-okonkwo")
    article = make_article(title="A headline", authors=[author])

    response = client.get(reverse("distribution:latest_atom"))

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse_xml(response.content)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "A headline"
    assert entry.findtext(f"{ATOM}id") == article.get_full_url()
    assert entry.find(f"{ATOM}link").get("href") == article.get_full_url()
    assert entry.findtext(f"{ATOM}published") and entry.findtext(f"{ATOM}updated")
    assert entry.find(f"{ATOM}summary").get("type") == "html"
    (entry_author,) = entry.findall(f"{ATOM}author")
    assert entry_author.findtext(f"{ATOM}name") == "Amara Okonkwo"
    assert entry_author.findtext(f"{ATOM}uri") == "http://testserver/authors/amara-okonkwo/"


def test_a_feed_lists_the_newest_articles_first_and_never_drafts_or_private_articles(client):
    older = make_article(title="Older", published_at=days_ago(3))
    newer = make_article(title="Newer", published_at=days_ago(1))
    make_article(title="A draft", live=False)
    private = make_article(title="Behind a password")
    PageViewRestriction.objects.create(page=private, restriction_type="password", password="secret")

    titles = [item.findtext("title") for item in rss_items(client, reverse("distribution:latest_rss"))]

    assert titles == [newer.title, older.title]


def test_a_feed_holds_thirty_articles(client, monkeypatch):
    assert selectors.FEED_LENGTH == 30
    monkeypatch.setattr(selectors, "FEED_LENGTH", 2)
    for day in range(3):
        make_article(title=f"Day {day}", published_at=days_ago(day))

    titles = [item.findtext("title") for item in rss_items(client, reverse("distribution:latest_rss"))]

    assert titles == ["Day 0", "Day 1"]


def test_each_hub_feed_lists_only_that_hubs_articles(client):
    energy = TopicFactory(name="Energy", slug="energy")
    author = AuthorFactory(slug="amara")
    afghanistan, pakistan, france = (Country.objects.get(code=code) for code in ("AF", "PK", "FR"))
    assert afghanistan.region == pakistan.region != france.region
    both = make_article(title="About two countries of one region", countries=[afghanistan, pakistan], topics=[energy])
    make_article(title="About France", countries=[france], authors=[author])

    def titles(name, slug):
        return [item.findtext("title") for item in rss_items(client, reverse(f"distribution:{name}_rss", args=[slug]))]

    assert titles("topic", "energy") == [both.title]
    assert titles("region", afghanistan.region.slug) == [both.title]  # once, though it is about two of its countries
    assert titles("country", pakistan.slug) == [both.title]
    assert titles("country", france.slug) == ["About France"]
    assert titles("author", "amara") == ["About France"]


def test_a_hub_feed_is_named_after_its_hub_and_links_to_it(client):
    TopicFactory(name="Energy", slug="energy", description="Oil, gas and the grid.")

    channel = parse_xml(client.get(reverse("distribution:topic_rss", args=["energy"])).content).find("channel")

    assert channel.findtext("title") == "Energy | The Meridian Review"
    assert channel.findtext("link") == "http://testserver/topics/energy/"
    assert channel.findtext("description") == "Oil, gas and the grid."


@pytest.mark.parametrize("kind", ["topic", "region", "country", "author"])
@pytest.mark.parametrize("variant", ["rss", "atom"])
def test_a_feed_for_an_unknown_hub_is_not_found(client, kind, variant):
    response = client.get(reverse(f"distribution:{kind}_{variant}", args=["no-such-hub"]))
    assert response.status_code == 404


def test_feeds_may_be_cached_by_anyone_for_a_few_minutes_as_they_are_the_same_for_every_reader(client):
    make_article()
    client.force_login(complimentary_reader())

    response = client.get(reverse("distribution:latest_rss"))

    assert response["Cache-Control"] == "public, max-age=300"
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_feed_links_inside_the_body_are_absolute(client):
    make_article(
        body=paragraphs('See <a href="/topics/energy/">our energy coverage</a>.', "Second.", "Third.", "Fourth."),
    )

    (item,) = rss_items(client, reverse("distribution:latest_rss"))

    assert '<a href="http://testserver/topics/energy/">our energy coverage</a>' in item.findtext("description")


def test_feed_images_in_the_teaser_have_absolute_sources(client):
    image = ImageFactory(description="Cranes at dusk")
    make_article(
        body=[("image", {"image": image, "caption": "The port", "credit": ""})]
        + paragraphs("One.", "Two.", "Three.", "Four.")
    )

    (item,) = rss_items(client, reverse("distribution:latest_rss"))

    description = item.findtext("description")
    assert 'src="http://testserver/media/' in description
    assert re.search(r'srcset="http://testserver/media/\S+ \d+w, http://testserver/media/', description)
    assert "The port" in description


def test_feeds_follow_the_sites_teaser_length(client):
    AccessSettings.objects.update_or_create(
        site=Site.objects.get(is_default_site=True), defaults={"teaser_paragraphs": 1}
    )
    make_article(body=paragraphs("One.", "Two.", "Three.", "Four."))

    (item,) = rss_items(client, reverse("distribution:latest_rss"))

    assert "One." in item.findtext("description")
    assert "Two." not in item.findtext("description")


def test_feeds_refuse_anything_but_reading(client):
    assert client.post(reverse("distribution:latest_rss")).status_code == 405


def test_the_feed_links_tag_points_at_the_publications_or_a_hubs_feeds():
    energy = TopicFactory(name="Energy", slug="energy")
    template = Template("{% load distribution_tags %}{% feed_links %}<hr>{% feed_links hub %}")

    html = template.render(Context({"site_name": "The Meridian Review", "hub": energy}))

    site, hub = html.split("<hr>")
    assert 'type="application/rss+xml" title="The Meridian Review (RSS)" href="/feeds/latest/"' in site
    assert 'type="application/atom+xml" title="The Meridian Review (Atom)" href="/feeds/latest/atom/"' in site
    assert 'type="application/rss+xml" title="Energy | The Meridian Review (RSS)" href="/feeds/topics/energy/"' in hub
    assert 'href="/feeds/topics/energy/atom/"' in hub
