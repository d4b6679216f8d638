"""What is kept of a search: an anonymous reader's page, given again only to readers who may see exactly that
page, and every reader's results (ids and count) until anything is published or changed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from masthead.access.services import SESSION_UNLOCKS_KEY
from masthead.access.tests import factories as access_factories
from masthead.articles.tests.factories import make_article, paragraphs
from masthead.search import selectors
from masthead.search.filters import SearchFilters
from masthead.search.query import parse_query
from masthead.search.tests.conftest import search_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def searches(monkeypatch):
    """How many times the results were looked up (a kept page looks up nothing)."""
    calls = []
    search_articles = selectors.search_articles

    def counted(**kwargs):
        calls.append(kwargs["query"].text)
        return search_articles(**kwargs)

    monkeypatch.setattr(selectors, "search_articles", counted)
    return calls


def _gated(secret: str):
    return access_factories.gated_article(secret), secret.split("-")[-1]


def test_an_anonymous_readers_page_asked_for_again_is_answered_without_searching(client, library, searches):
    first = search_page(client, q="sanction")
    second = search_page(client, q="sanction")
    third = search_page(client, q="sanction")

    assert len(searches) == 2  # the second request keeps the page, the third is answered with it
    assert third.content == second.content == first.content
    assert "private" in third["Cache-Control"]
    assert "Cookie" in third["Vary"]


def test_another_query_string_is_another_page(client, library, searches):
    for _ in range(2):
        search_page(client, q="sanction")
    response = search_page(client, q="sanction", sort="newest")

    assert len(searches) == 3
    assert "Sort by" in response.content.decode()


def _browser_that_unlocked(article) -> Client:
    """A signed-out browser whose session holds `article` as unlocked (as after giving an email on it)."""
    client = Client()
    session = client.session
    session[SESSION_UNLOCKS_KEY] = [article.pk]
    session.save()
    return client


def test_a_kept_anonymous_page_never_reaches_a_subscriber(library):
    secret = access_factories.marker()
    _, word = _gated(secret)
    anonymous = Client()
    for _ in range(3):
        assert secret not in search_page(anonymous, q=word).content.decode()

    subscriber = Client()
    subscriber.force_login(access_factories.subscriber())
    html = search_page(subscriber, q=word).content.decode()

    assert "Paragraph five holds the marker" in html


def test_a_signed_out_reader_who_unlocked_a_result_gets_a_page_of_their_own(library):
    secret = access_factories.marker()
    article, word = _gated(secret)
    anonymous = Client()
    for _ in range(3):
        search_page(anonymous, q=word)

    unlocked = _browser_that_unlocked(article)
    html = search_page(unlocked, q=word).content.decode()

    assert "Paragraph five holds the marker" in html


def test_a_page_rendered_for_a_reader_who_unlocked_a_result_is_never_kept_for_others(library):
    secret = access_factories.marker()
    article, word = _gated(secret)
    unlocked = _browser_that_unlocked(article)
    for _ in range(3):
        assert "Paragraph five holds the marker" in search_page(unlocked, q=word).content.decode()

    html = search_page(Client(), q=word).content.decode()

    assert secret not in html
    assert "Teaser paragraph one" in html


def test_publishing_an_article_renders_kept_pages_afresh(client, library, searches):
    for _ in range(3):
        search_page(client, q="sanction")
    make_article(title="Sanction relief talks resume", body=paragraphs("A sanction was lifted."))

    response = search_page(client, q="sanction")

    assert "relief talks resume" in response.content.decode()


# --- The results of a search asked for again ------------------------------------------------


def _search(text: str, **options):
    return selectors.search_articles(query=parse_query(text), filters=SearchFilters(), **options)


def _index_statements(queries) -> list[str]:
    return [query["sql"] for query in queries if "wagtailsearch_indexentry" in query["sql"]]


def test_the_same_search_asked_again_reads_no_index(library):
    first = _search("Sanction")
    with CaptureQueriesContext(connection) as again:
        second = _search("the sanction!")

    assert _index_statements(again.captured_queries) == []
    assert [article.pk for article in second.articles] == [article.pk for article in first.articles]
    assert second.total == first.total == 2


def test_a_fresh_search_reads_the_index_even_when_the_results_are_kept(library):
    _search("sanction")
    with CaptureQueriesContext(connection) as fresh:
        _search("sanction", fresh=True)

    assert _index_statements(fresh.captured_queries)


def test_another_page_of_a_search_does_not_count_its_matches_again(monkeypatch, library):
    results_class = selectors.backend().results_class
    if not hasattr(results_class, "CANDIDATES"):
        pytest.skip("only Masthead's database backends count apart from ranking")
    monkeypatch.setattr(results_class, "CANDIDATES", 1)  # too few candidates to know the count: it is counted
    with CaptureQueriesContext(connection) as first:
        page_one = _search("talks", per_page=1)
    with CaptureQueriesContext(connection) as second:
        page_two = _search("talks", per_page=1, page=2)

    # PostgreSQL's candidates statement counts the matches it reads beside them (`COUNT(*) OVER ()`), and with
    # every entry read, no count statement follows; any other count is a statement of its own.
    assert [sql for sql in _index_statements(first.captured_queries) if "COUNT(" in sql.upper()]
    assert not [sql for sql in _index_statements(second.captured_queries) if sql.upper().startswith("SELECT COUNT(")]
    assert page_two.total == page_one.total == 2
    assert page_two.page == 2
    assert {page_one.articles[0].pk, page_two.articles[0].pk} == {
        library["articles"]["pipeline"].pk,
        library["articles"]["grid"].pk,
    }


def test_an_article_published_after_a_search_is_found_by_the_same_search(library):
    assert _search("sanction").total == 2
    make_article(title="Sanction relief talks resume", body=paragraphs("A sanction was lifted."))

    assert _search("sanction").total == 3
