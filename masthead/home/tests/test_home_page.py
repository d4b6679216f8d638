import pytest

from masthead.articles.enums import ArticleKind
from masthead.articles.models import Country, WorldRegion
from masthead.articles.tests.factories import TopicFactory, days_ago, make_article
from masthead.home.models import HomePage

pytestmark = pytest.mark.django_db


def _home() -> HomePage:
    return HomePage.objects.get()


def test_the_home_page_leads_with_the_editors_choice_and_follows_their_sections(client):
    topic = TopicFactory(name="Diplomacy")
    region = WorldRegion.objects.get(slug="east-asia")
    lead = make_article(title="The chosen lead", published_at=days_ago(40))
    daily = make_article(title="Today's analysis", kind=ArticleKind.DAILY_ANALYSIS, published_at=days_ago(0.1))
    deep = make_article(title="A long report", kind=ArticleKind.IN_DEPTH, published_at=days_ago(2))
    on_topic = make_article(title="Talks resume", kind=ArticleKind.OPINION, topics=[topic], published_at=days_ago(3))
    in_region = make_article(
        title="Strait tensions",
        kind=ArticleKind.OPINION,
        countries=[Country.objects.get(code="TW")],
        published_at=days_ago(4),
    )
    home = _home()
    home.lead_story = lead
    home.sections = [
        ("latest", {"heading": "Latest analysis", "kind": ArticleKind.DAILY_ANALYSIS, "count": 4}),
        ("latest", {"heading": "In-depth reports", "kind": ArticleKind.IN_DEPTH, "count": 4}),
        ("topic", {"topic": topic, "count": 4}),
        ("region", {"region": region, "count": 4}),
    ]
    home.save_revision().publish()

    response = client.get("/")

    assert response.status_code == 200
    front = response.context["front"]
    assert front.lead == lead
    assert [section.heading for section in front.sections] == [
        "Latest analysis",
        "In-depth reports",
        "Diplomacy",
        "East Asia",
    ]
    assert front.sections[0].articles[0] == daily
    assert deep in front.sections[1].articles
    assert on_topic in front.sections[2].articles
    assert in_region in front.sections[3].articles
    html = response.content.decode()
    assert html.index("The chosen lead") < html.index("Latest analysis") < html.index("In-depth reports")


def test_an_article_appears_once_on_the_home_page(client):
    topic = TopicFactory()
    only = make_article(title="The only article", topics=[topic])
    home = _home()
    home.sections = [
        ("latest", {"heading": "Latest", "kind": "", "count": 4}),
        ("topic", {"topic": topic, "count": 4}),
    ]
    home.save_revision().publish()

    front = client.get("/").context["front"]

    assert front.lead == only
    assert front.sections == []


def test_without_a_chosen_lead_the_newest_article_leads(client):
    make_article(title="Yesterday", published_at=days_ago(1))
    newest = make_article(title="An hour ago", published_at=days_ago(0.04))
    assert client.get("/").context["front"].lead == newest


def test_an_empty_publication_still_has_a_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["front"].lead is None
