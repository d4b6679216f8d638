import pytest
from django.urls import reverse

from masthead.articles.models import Country, WorldRegion
from masthead.articles.tests.factories import AuthorFactory, TopicFactory, days_ago, make_article

pytestmark = pytest.mark.django_db


def _headlines(response) -> list[str]:
    return [article.title for article in response.context["articles"]]


def test_a_topic_hub_lists_its_articles_newest_first():
    topic = TopicFactory(name="Energy", slug="energy")
    old = make_article(title="Older energy piece", topics=[topic], published_at=days_ago(30))
    new = make_article(title="Newer energy piece", topics=[topic], published_at=days_ago(1))
    make_article(title="Unrelated piece", topics=[TopicFactory()])

    from django.test import Client

    response = Client().get(topic.get_absolute_url())

    assert response.status_code == 200
    assert _headlines(response) == [new.title, old.title]
    assert "Unrelated piece" not in response.content.decode()


def test_a_hub_paginates_twenty_articles_a_page(client):
    topic = TopicFactory()
    for day in range(23):
        make_article(topics=[topic], published_at=days_ago(day))

    first = client.get(topic.get_absolute_url())
    second = client.get(topic.get_absolute_url(), {"page": 2})

    assert len(first.context["articles"]) == 20
    assert len(second.context["articles"]) == 3
    assert not set(_headlines(first)) & set(_headlines(second))


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1e9", "%00"])
def test_a_bad_page_number_shows_the_nearest_real_page(client, page):
    topic = TopicFactory()
    make_article(topics=[topic])
    response = client.get(topic.get_absolute_url(), {"page": page})
    assert response.status_code == 200
    assert len(response.context["articles"]) == 1


def test_the_editors_lead_comes_first_and_is_not_repeated_in_the_list(client):
    topic = TopicFactory()
    lead = make_article(title="The deep dive", topics=[topic], published_at=days_ago(100))
    make_article(topics=[topic], published_at=days_ago(1))
    topic.lead_article = lead
    topic.save()

    response = client.get(topic.get_absolute_url())

    assert response.context["lead"] == lead
    assert lead.title not in _headlines(response)
    html = response.content.decode()
    assert html.count(lead.url) >= 1


def test_an_unpublished_lead_is_not_shown(client):
    topic = TopicFactory()
    lead = make_article(title="Withdrawn deep dive", topics=[topic])
    topic.lead_article = lead
    topic.save()
    lead.unpublish()

    response = client.get(topic.get_absolute_url())

    assert response.context["lead"] is None
    assert "Withdrawn deep dive" not in response.content.decode()


def test_a_country_hub_lists_articles_about_that_country(client):
    afghanistan = Country.objects.get(code="AF")
    peru = Country.objects.get(code="PE")
    about = make_article(title="Kabul's budget", countries=[afghanistan])
    make_article(title="Lima's budget", countries=[peru])

    response = client.get(afghanistan.get_absolute_url())

    assert response.status_code == 200
    assert _headlines(response) == [about.title]


def test_a_region_hub_lists_each_article_of_its_countries_once(client):
    region = WorldRegion.objects.get(slug="middle-east-north-africa")
    egypt, jordan = Country.objects.get(code="EG"), Country.objects.get(code="JO")
    both = make_article(title="Across the Jordan and the Nile", countries=[egypt, jordan])
    make_article(title="Elsewhere entirely", countries=[Country.objects.get(code="CL")])

    response = client.get(region.get_absolute_url())

    assert response.status_code == 200
    assert _headlines(response) == [both.title]


def test_an_author_page_lists_the_authors_articles_and_bio(client):
    author = AuthorFactory(name="Ines Abara-Holm", bio="Reports on elections in small states.")
    mine = make_article(title="Ballots on the islands", authors=[author, AuthorFactory()])
    make_article(title="Someone else's piece")

    response = client.get(author.get_absolute_url())

    assert response.status_code == 200
    assert _headlines(response) == [mine.title]
    html = response.content.decode()
    assert "Ines Abara-Holm" in html
    assert "Reports on elections in small states." in html


@pytest.mark.parametrize(
    "url",
    [
        "/topics/no-such-topic/",
        "/regions/atlantis/",
        "/countries/atlantis/",
        "/authors/nobody-at-all/",
        "/analysis/no-such-article/",
    ],
)
def test_an_unknown_hub_or_article_is_a_404_in_the_sites_design(client, url):
    make_article()
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert 'id="main"' in html
    assert reverse("articles:topic_index") in html


def test_the_hub_indexes_list_topics_regions_and_authors(client):
    topic = TopicFactory(name="Food security")
    author = AuthorFactory(name="Odile Marchetti-Sow")
    make_article(topics=[topic], authors=[author], countries=[Country.objects.get(code="ML")])

    assert "Food security" in client.get(reverse("articles:topic_index")).content.decode()
    assert "Odile Marchetti-Sow" in client.get(reverse("articles:author_index")).content.decode()
    regions = client.get(reverse("articles:region_index")).content.decode()
    assert "Sub-Saharan Africa" in regions
    assert "Mali" in regions


def test_hubs_refuse_writes(client):
    topic = TopicFactory()
    assert client.post(topic.get_absolute_url()).status_code == 405


def test_a_region_hub_links_only_to_countries_that_have_articles(client):
    region = WorldRegion.objects.get(slug="south-asia")
    make_article(countries=[Country.objects.get(code="NP")])

    response = client.get(region.get_absolute_url())

    assert [country.code for country in response.context["countries"]] == ["NP"]


def test_a_topic_hub_advertises_its_own_feeds(client):
    topic = TopicFactory(slug="energy-policy")
    make_article(topics=[topic])
    html = client.get(topic.get_absolute_url()).content.decode()
    assert 'type="application/rss+xml"' in html
    assert "/feeds/topics/energy-policy/" in html
