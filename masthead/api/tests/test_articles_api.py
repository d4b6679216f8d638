import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction, Site

from masthead.access.models import AccessSettings
from masthead.articles.enums import ArticleKind
from masthead.articles.models import Country
from masthead.articles.tests.factories import AuthorFactory, TopicFactory, days_ago, make_article, paragraphs
from masthead.core.models import PublicationSettings
from masthead.distribution.tests.readers import verified_reader

pytestmark = pytest.mark.django_db

LIST = "/api/v1/articles/"


def cache_control(response) -> set[str]:
    return {directive.strip() for directive in response["Cache-Control"].split(",")}


def detail(article_id) -> str:
    return f"/api/v1/articles/{article_id}/"


def test_the_list_item_describes_the_article_without_its_body(client):
    author = AuthorFactory(name="Amara Okonkwo", slug="amara")
    topic = TopicFactory(name="Energy", slug="energy")
    afghanistan = Country.objects.get(code="AF")
    article = make_article(
        title="Why the strait decides the price of bread",
        dek="Insurers set the terms.",
        kind=ArticleKind.IN_DEPTH,
        authors=[author],
        topics=[topic],
        countries=[afghanistan],
        body=paragraphs("BODY-TEXT one.", "BODY-TEXT two.", "BODY-TEXT three.", "BODY-TEXT four."),
    )

    response = client.get(LIST)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert (data["count"], data["page"], data["pages"], data["next"], data["previous"]) == (1, 1, 1, None, None)
    assert data["results"] == [
        {
            "id": article.pk,
            "url": article.get_full_url(),
            "headline": "Why the strait decides the price of bread",
            "dek": "Insurers set the terms.",
            "kind": "in_depth",
            "kind_name": "In-depth report",
            "published": article.first_published_at.isoformat(),
            "updated": article.last_published_at.isoformat(),
            "authors": [{"name": "Amara Okonkwo", "url": "http://testserver/authors/amara/"}],
            "topics": [{"slug": "energy", "name": "Energy", "url": "http://testserver/topics/energy/"}],
            "countries": [
                {"code": "AF", "name": afghanistan.name, "url": f"http://testserver{afghanistan.get_absolute_url()}"}
            ],
            "free_for_everyone": False,
            "access": {"level": "teaser", "reason": "anonymous"},
        }
    ]
    assert "BODY-TEXT" not in response.content.decode()


def test_the_detail_carries_the_visible_blocks_as_html_and_what_was_withheld(client):
    article = make_article(
        body=paragraphs('See <a href="/topics/energy/">energy</a>.', "Two.", "Three.")
        + [("heading", "What comes next")]
        + paragraphs("Four.", "Five."),
    )

    data = client.get(detail(article.pk)).json()

    assert data["id"] == article.pk
    assert data["body"] == [
        {"type": "paragraph", "html": '<p>See <a href="http://testserver/topics/energy/">energy</a>.</p>'},
        {"type": "paragraph", "html": "<p>Two.</p>"},
        {"type": "paragraph", "html": "<p>Three.</p>"},
    ]
    assert data["withheld_blocks"] == 3
    assert data["offer"] == "register"
    assert data["access"] == {"level": "teaser", "reason": "anonymous"}


def test_the_list_is_newest_first_twenty_a_page_with_links_to_the_next_and_previous_pages(client, monkeypatch):
    monkeypatch.setattr("masthead.api.views.PAGE_SIZE", 2)
    for day in range(5):
        make_article(title=f"Day {day}", published_at=days_ago(day))

    first = client.get(LIST + "?kind=daily").json()
    last = client.get(LIST + "?kind=daily&page=3").json()

    assert [item["headline"] for item in first["results"]] == ["Day 0", "Day 1"]
    assert (first["count"], first["pages"], first["previous"]) == (5, 3, None)
    assert first["next"] == "http://testserver/api/v1/articles/?kind=daily&page=2"
    assert [item["headline"] for item in last["results"]] == ["Day 4"]
    assert (last["next"], last["previous"]) == (None, "http://testserver/api/v1/articles/?kind=daily&page=2")


def test_the_page_size_is_twenty():
    from masthead.api import views

    assert views.PAGE_SIZE == 20


def test_filters_narrow_the_list_and_combine(client):
    energy = TopicFactory(slug="energy")
    amara = AuthorFactory(slug="amara")
    afghanistan, pakistan, france = (Country.objects.get(code=code) for code in ("AF", "PK", "FR"))
    a = make_article(title="A", topics=[energy], countries=[afghanistan], authors=[amara], kind=ArticleKind.BRIEFING)
    b = make_article(title="B", topics=[energy], countries=[afghanistan, pakistan])
    c = make_article(title="C", countries=[france], authors=[amara])

    def ids(query):
        response = client.get(LIST + query)
        assert response.status_code == 200, response.json()
        return {item["id"] for item in response.json()["results"]}

    assert ids("?topic=energy") == {a.pk, b.pk}
    assert ids("?country=af") == {a.pk, b.pk}
    assert ids("?country=FR") == {c.pk}
    assert ids(f"?region={afghanistan.region.slug}") == {a.pk, b.pk}
    assert client.get(LIST + f"?region={afghanistan.region.slug}").json()["count"] == 2  # b once, not twice
    assert ids("?kind=briefing") == {a.pk}
    assert ids("?author=amara") == {a.pk, c.pk}
    assert ids("?topic=energy&author=amara") == {a.pk}
    assert ids("?topic=") == {a.pk, b.pk, c.pk}  # an empty value is no filter


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?topic=no-such-topic", "topic"),
        ("?country=AFG", "country"),
        ("?country=1A", "country"),
        ("?country=ZZ", "country"),
        ("?region=atlantis", "region"),
        ("?kind=longread", "kind"),
        ("?author=nobody", "author"),
        ("?page=0", "page"),
        ("?page=-1", "page"),
        ("?page=two", "page"),
        ("?page=99", "page"),
        ("?topics=energy", "topics"),
        ("?kind=daily&kind=opinion", "kind"),
    ],
)
def test_a_bad_filter_or_page_is_a_400_naming_the_parameter(client, query, parameter):
    make_article()

    response = client.get(LIST + query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["parameter"] == parameter
    assert response.json()["error"]


@pytest.mark.parametrize("article_id", ["999999", "abc", "1.0", "-1", "99999999999999999999999", "%C2%B2"])
def test_an_unknown_or_malformed_id_is_a_json_404(client, article_id):
    response = client.get(detail(article_id))

    assert response.status_code == 404
    assert response.json() == {"error": "No published article with this id."}


def test_drafts_unpublished_and_private_articles_are_never_listed_or_served(client):
    live = make_article()
    draft = make_article(live=False)
    withdrawn = make_article()
    withdrawn.unpublish()
    private = make_article()
    PageViewRestriction.objects.create(page=private, restriction_type="password", password="secret")

    listed = [item["id"] for item in client.get(LIST).json()["results"]]

    assert listed == [live.pk]
    for article in (draft, withdrawn, private):
        assert client.get(detail(article.pk)).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_anything_but_reading_is_a_json_405(method):
    article = make_article()
    client = Client(enforce_csrf_checks=True)

    for url in (LIST, detail(article.pk)):
        response = getattr(client, method)(url)
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
        assert "error" in response.json()


def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/v2/nothing/")

    assert response.status_code == 404
    assert "error" in response.json()


def test_a_list_with_a_gated_article_is_private_to_the_reader(client):
    make_article(free_for_everyone=True)
    make_article()

    response = client.get(LIST)

    assert cache_control(response) == {"private", "no-cache", "max-age=0"}
    assert "Cookie" in response["Vary"]


def test_a_list_of_free_articles_only_may_be_cached_publicly(client):
    make_article(free_for_everyone=True)

    response = client.get(LIST)

    assert cache_control(response) == {"public", "max-age=60"}
    assert "Cookie" in response["Vary"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "verified reader"])
def test_the_list_makes_the_same_number_of_queries_whatever_its_length(client, signed_in):
    if signed_in:
        client.force_login(verified_reader())
    topics, countries = [TopicFactory(), TopicFactory()], [Country.objects.get(code="AF")]
    make_article(topics=topics, countries=countries)
    site = Site.objects.get(is_default_site=True)
    for setting in (AccessSettings, PublicationSettings):  # a live site has its settings rows; making one
        setting.for_site(site)  # raises the content version, which would make the next request read them again
    _queries(client, LIST)  # warm the site and settings caches
    few = _queries(client, LIST)
    for _ in range(4):
        make_article(topics=topics, countries=countries, authors=[AuthorFactory(), AuthorFactory()])

    _queries(client, LIST)  # publishing raised the content version: the reader's account facts are read again
    assert _queries(client, LIST) == few


def test_the_detail_makes_the_same_number_of_queries_whatever_the_article(client):
    short = make_article(body=paragraphs("One.", "Two."))
    long = make_article(
        body=paragraphs(*(f"Paragraph {n}." for n in range(12))),
        topics=[TopicFactory(), TopicFactory()],
        authors=[AuthorFactory(), AuthorFactory(), AuthorFactory()],
        free_for_everyone=True,
    )
    _queries(client, detail(short.pk))  # creates the site's paywall settings: a change, so caches start over
    _queries(client, detail(short.pk))

    assert _queries(client, detail(short.pk)) == _queries(client, detail(long.pk))
