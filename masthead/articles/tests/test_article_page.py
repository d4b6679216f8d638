import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.articles.enums import ArticleKind
from masthead.articles.models import ArticlePage, Country
from masthead.articles.tests.factories import AuthorFactory, ImageFactory, TopicFactory, make_article, paragraphs
from masthead.core.memo import forget_all

pytestmark = pytest.mark.django_db


def test_article_page_shows_everything_a_reader_needs(client):
    author = AuthorFactory(
        name="Amara Okonkwo-Lindqvist",
        bio="Covers ports and the politics of shipping lanes.",
        affiliation="Fellow, Harbour Policy Centre",
        x_handle="amara_ol",
    )
    second = AuthorFactory(name="Tomasz Ferreira-Nakamura")
    topic = TopicFactory(name="Maritime security", slug="maritime-security")
    country = Country.objects.get(code="YE")
    image = ImageFactory(
        description="Container cranes over a quiet harbour", credit="Photo: R. Imaginary / Nowhere Press"
    )
    article = make_article(
        title="Why the strait still decides the price of bread",
        dek="Shipping insurers, not navies, now set the terms of passage.",
        kind=ArticleKind.IN_DEPTH,
        authors=[author, second],
        topics=[topic],
        countries=[country],
        lead_image=image,
        lead_image_caption="The port at first light.",
        pull_quote="Insurance premiums moved faster than any fleet.",
        free_for_everyone=True,
        body=paragraphs("First paragraph of the argument.", "Second paragraph.", "Third paragraph.")
        + [
            ("heading", "What comes next"),
            ("pull_quote", {"quote": "A quote in the body.", "attribution": "A harbour master"}),
        ],
    )

    response = client.get(article.url)

    assert response.status_code == 200
    html = response.content.decode()
    for expected in [
        "Why the strait still decides the price of bread",
        "Shipping insurers, not navies, now set the terms of passage.",
        "In-depth report",
        "Amara Okonkwo-Lindqvist",
        "Tomasz Ferreira-Nakamura",
        "Covers ports and the politics of shipping lanes.",
        "Fellow, Harbour Policy Centre",
        "The port at first light.",
        "Photo: R. Imaginary / Nowhere Press",
        "Container cranes over a quiet harbour",
        "Insurance premiums moved faster than any fleet.",
        "What comes next",
        "A quote in the body.",
        topic.get_absolute_url(),
        country.get_absolute_url(),
        author.get_absolute_url(),
        "https://x.com/amara_ol",
    ]:
        assert expected in html, expected
    assert html.index("Amara Okonkwo-Lindqvist") < html.index("Tomasz Ferreira-Nakamura")
    assert f'datetime="{article.first_published_at.date().isoformat()}' in html


def test_article_credit_falls_back_to_the_image_credit_when_the_article_gives_none():
    image = ImageFactory(credit="Photo: Stored With Image")
    article = make_article(lead_image=image)
    assert article.display_credit == "Photo: Stored With Image"
    article.lead_image_credit = "Photo: Given On Article"
    assert article.display_credit == "Photo: Given On Article"


def test_a_draft_article_is_not_served_to_readers(client):
    article = make_article(live=False)
    assert client.get(article.url).status_code == 404


def test_reading_time_follows_the_length_of_the_body():
    short = make_article(body=paragraphs("word " * 230))
    long = make_article(body=paragraphs(*["word " * 230] * 10))
    assert short.reading_minutes == 1
    assert long.reading_minutes == 10


def test_article_page_query_count_does_not_grow_with_authors_topics_or_countries(client):
    # One of each against several of each (related reading asks about topics and regions when there are some).
    lean = make_article(authors=[AuthorFactory()], topics=[TopicFactory()], countries=[Country.objects.get(code="AF")])
    rich = make_article(
        authors=[AuthorFactory() for _ in range(4)],
        topics=[TopicFactory() for _ in range(4)],
        countries=list(Country.objects.all()[:5]),
    )
    client.get(lean.url)  # warm Wagtail's site-root cache
    client.get(rich.url)  # and Wagtail's image bookkeeping (file sizes)

    def queries_for(url: str) -> int:
        forget_all()  # no kept rendering or route: the whole page is rendered
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries_for(rich.url) == queries_for(lean.url)


def test_a_kept_article_page_is_served_without_queries_for_anonymous_readers(client):
    article = make_article(authors=[AuthorFactory()], topics=[TopicFactory()])
    client.get(article.url)  # the first request creates the site's settings rows (a change: pages render afresh)
    first = client.get(article.url)
    with CaptureQueriesContext(connection) as captured:
        again = client.get(article.url)
    assert again.status_code == 200
    # Only the funnel's count is written (flushed at once under the test settings); nothing is read.
    assert [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")] == []
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.search(again.content)  # the gate form's token is this request's own...
    assert token.sub(b"", again.content) == token.sub(b"", first.content)  # ...and the rest is the same page


def test_an_article_keeps_its_headline_key_as_its_headline_changes():
    article = make_article(title="Dams, rivers — and POWER!")
    assert ArticlePage.objects.get(pk=article.pk).headline_key == "dams rivers and power"
    article.title = "A second  headline"
    article.save_revision().publish()
    assert ArticlePage.objects.get(pk=article.pk).headline_key == "a second headline"
    article.title = "Third: the headline"
    article.save(update_fields=["title"])
    assert ArticlePage.objects.get(pk=article.pk).headline_key == "third the headline"


def test_the_migration_gives_existing_articles_their_headline_keys():
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module("masthead.articles.migrations.0005_articlepage_headline_key")
    first, second = make_article(title="Grain: the long view"), make_article(title="Ports at night")
    ArticlePage.objects.update(headline_key="")
    migration.fill_headline_keys(apps, SimpleNamespace(connection=connection))  # all it reads of its schema editor
    keys = dict(ArticlePage.objects.values_list("pk", "headline_key"))
    assert (keys[first.pk], keys[second.pk]) == ("grain the long view", "ports at night")
