"""Editors search in Wagtail's admin: pages through the same search backend (every page type, drafts
included), authors and countries in the database.

Masthead's ranking serves the searches of live pages of one page type (the reader's search); the admin's
searches (of `Page`, of articles with their drafts) are left to Wagtail's own code, which finds them.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Page

from masthead.articles.models import ArticlePage
from masthead.articles.tests.factories import AuthorFactory, TopicFactory, make_article, paragraphs
from masthead.search.backends.ranking import rankable

pytestmark = pytest.mark.django_db


@pytest.fixture
def kestrel_pages(library):
    published = make_article(title="Kestrel over the ridge", body=paragraphs("A kestrel.", "Wind."))
    draft = make_article(title="Kestrel in the draft", body=paragraphs("A kestrel.", "Unfinished."), live=False)
    return published, draft


@pytest.mark.parametrize("path", ["/admin/pages/search/?q=Kestrel", "/admin/pages/search/?q=kestrel+ridge"])
def test_the_admins_page_search_finds_articles_published_or_draft(admin_client, kestrel_pages, path):
    published, draft = kestrel_pages
    response = admin_client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert published.title in page
    assert (draft.title in page) == ("ridge" not in path)


def test_the_admins_listing_search_under_the_archive_finds_drafts_too(admin_client, kestrel_pages):
    published, draft = kestrel_pages
    response = admin_client.get(f"/admin/pages/{published.get_parent().pk}/?q=Kestrel")
    assert response.status_code == 200
    assert published.title in response.content.decode() and draft.title in response.content.decode()


def test_the_page_chooser_finds_articles_published_or_draft(admin_client, kestrel_pages):
    published, draft = kestrel_pages
    response = admin_client.get(reverse("wagtailadmin_choose_page_search"), {"q": "Kestrel"})
    assert response.status_code == 200
    page = response.content.decode()
    assert published.title in page and draft.title in page


def test_searches_of_every_page_type_or_of_drafts_find_them(kestrel_pages):
    published, draft = kestrel_pages
    for queryset in (Page.objects.all(), ArticlePage.objects.all()):
        assert {page.pk for page in queryset.search("kestrel")} == {published.pk, draft.pk}
        assert {page.pk for page in queryset.autocomplete("Kestr")} == {published.pk, draft.pk}
    assert [page.pk for page in ArticlePage.objects.live().search("kestrel")] == [published.pk]


def test_ranking_serves_live_pages_of_one_page_type_only():
    assert rankable(ArticlePage.objects.live())
    assert rankable(ArticlePage.objects.live().filter(kind="daily"))
    assert not rankable(ArticlePage.objects.all())
    assert not rankable(ArticlePage.objects.filter(live=False))
    assert not rankable(ArticlePage.objects.exclude(live=True))
    assert not rankable(Page.objects.live())  # page types below it, indexed under their own content types


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("Wagtail's PostgreSQL code scores a search in one statement already")


def test_sqlite_scores_a_search_ranking_does_not_take_in_one_statement(sqlite_only, library):
    """Wagtail's code scored each page with a subquery running FTS5's MATCH again (minutes at 100,000 articles)."""
    passing = make_article(title="Upland notes", body=paragraphs("A kestrel, once.", "Rain."))
    draft = make_article(
        title="Kestrel season",
        body=paragraphs("The kestrel and the kestrel's young.", "A kestrel again."),
        live=False,
    )
    with CaptureQueriesContext(connection) as searched:
        found = [page.pk for page in ArticlePage.objects.all().search("kestrel")]
        count = ArticlePage.objects.all().search("kestrel").count()
    assert found == [draft.pk, passing.pk]  # the better match first, drafts included
    assert count == 2
    assert not [query for query in searched.captured_queries if '"_score"' in query["sql"]]


def test_sqlite_lists_more_matches_than_it_scores_in_the_querysets_order(sqlite_only, library, monkeypatch):
    from masthead.search.backends.sqlite import MastheadSQLiteSearchResults  # its models exist on SQLite only

    monkeypatch.setattr(MastheadSQLiteSearchResults, "UNRANKED_SCORED", 1)
    pages = [make_article(title=f"Kestrel {number}", body=paragraphs("A kestrel.", "Wind.")) for number in range(3)]
    in_the_tree = [page.pk for page in pages]  # `Page`'s own order: by path
    assert [page.pk for page in Page.objects.all().autocomplete("kestr")] == in_the_tree
    assert [page.pk for page in Page.objects.all().autocomplete("kestr")[1:3]] == in_the_tree[1:3]
    assert [page.pk for page in Page.objects.all().autocomplete("kestr")[:2]] == in_the_tree[:2]  # the ids read
    assert Page.objects.all().autocomplete("kestr").count() == 3
    unordered = Page.objects.order_by().autocomplete("kestr")  # without an order: the newest first
    assert [page.pk for page in unordered] == in_the_tree[::-1]


@pytest.mark.parametrize(
    ("listing", "query", "expected"),
    [
        ("wagtailsnippets_articles_author:list", "Kestrelton", "Zara Kestrelton"),
        ("wagtailsnippets_articles_author:list", "Falconry", "Zara Kestrelton"),  # her affiliation
        ("wagtailsnippets_articles_topic:list", "Kestrel", "Kestrel studies"),
        ("wagtailsnippets_articles_country:list", "Afgh", "Afghanistan"),
        ("wagtailsnippets_articles_country:list", "GB", "United Kingdom"),  # its code
    ],
)
def test_the_admins_snippet_searches_find_authors_topics_and_countries(admin_client, library, listing, query, expected):
    AuthorFactory(name="Zara Kestrelton", affiliation="Institute of Falconry")
    TopicFactory(name="Kestrel studies", slug="kestrel-studies")
    response = admin_client.get(reverse(listing), {"q": query})
    assert response.status_code == 200
    assert expected in response.content.decode()
