"""SQLite: each entry's filter terms follow its autocomplete text, and a filtered search ANDs them in its MATCH.

FTS5 then skips the matches the terms rule out; the filter set stays the check.
The terms are used only once every entry holds the current ones.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.search.models import IndexEntry

from masthead.articles.models import ArticleKind, ArticlePage
from masthead.articles.tests.factories import TopicFactory, make_article, paragraphs
from masthead.search import index_version, selectors
from masthead.search.backends.terms import digest_term, term
from masthead.search.filters import SearchFilters
from masthead.search.query import parse_query

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 table (PostgreSQL's terms are a column of their own: test_filter_terms.py)")


def _entry(article) -> IndexEntry:
    return IndexEntry.objects.get(object_id=str(article.pk), content_type__model="articlepage")


def _falcons_in(filters: SearchFilters) -> tuple[set[int], int, list[str]]:
    """The ids and total of a search for "falcon" under the filters, and the statements that matched FTS5."""
    with CaptureQueriesContext(connection) as searched:
        outcome = selectors.search_articles(query=parse_query("falcon"), filters=filters, fresh=True)
    statements = [query["sql"] for query in searched.captured_queries if " MATCH " in query["sql"]]
    return {card.pk for card in outcome.articles}, outcome.total, statements


def _set_autocomplete(article, text: str) -> None:
    """Write an entry's autocomplete text as the index would (the trigger copies it into FTS5)."""
    IndexEntry.objects.filter(pk=_entry(article).pk).update(autocomplete=text)
    index_version.changed()


def test_an_entry_holds_its_filter_terms_after_its_autocomplete_text(library):
    topic = TopicFactory(slug="birds-of-prey")
    article = make_article(title="Falcons in the valley", kind=ArticleKind.IN_DEPTH, topics=[topic])
    autocomplete = _entry(article).autocomplete
    assert autocomplete.startswith("Falcons in the valley")
    for expected in (digest_term(ArticlePage), term("kind", ArticleKind.IN_DEPTH), term("topics.slug", topic.slug)):
        assert f"zq{expected}" in autocomplete.split()


def test_a_filtered_search_ands_the_terms_in_its_match_once_every_entry_has_them(library):
    topic = TopicFactory(slug="birds-of-prey")
    tagged = make_article(title="Falcon watch", topics=[topic], body=paragraphs("A falcon.", "Wind."))
    make_article(title="Falcon again", body=paragraphs("A falcon.", "Rain."))
    found, total, statements = _falcons_in(SearchFilters(topic=topic))
    assert found == {tagged.pk} and total == 1
    assert any(term("topics.slug", topic.slug) in sql for sql in statements)
    # An entry without terms (written before them): never trusted, every filter as before.
    _set_autocomplete(tagged, "Falcon watch")
    found, total, statements = _falcons_in(SearchFilters(topic=topic))
    assert found == {tagged.pk} and total == 1
    assert statements and not any(term("topics.slug", topic.slug) in sql for sql in statements)


def test_a_term_never_lets_through_an_article_the_filter_keeps_out(library):
    topic = TopicFactory(slug="birds-of-prey")
    tagged = make_article(title="Falcon watch", topics=[topic], body=paragraphs("A falcon.", "Wind."))
    other = make_article(title="Falcon again", body=paragraphs("A falcon.", "Rain."))
    _set_autocomplete(other, f"{_entry(other).autocomplete} zq{term('topics.slug', topic.slug)}")
    found, total, statements = _falcons_in(SearchFilters(topic=topic))
    assert any(term("topics.slug", topic.slug) in sql for sql in statements)
    assert found == {tagged.pk} and total == 1


def test_a_typed_prefix_never_suggests_an_article_by_its_terms(library):
    """The autocomplete column is matched by prefixes: the terms' hex digits must not answer "de" or "fa"."""
    article = make_article(title="Falcon watch", kind=ArticleKind.IN_DEPTH)
    tokens = _entry(article).autocomplete.split()[2:]  # after "Falcon watch"
    assert tokens and all(token.startswith("zq") for token in tokens)
    results = selectors.backend().autocomplete(tokens[0][2:5], ArticlePage.objects.live())
    assert article.pk not in {found.pk for found in results}


def test_the_translators_terms_become_an_fts5_expression_of_phrases():
    from masthead.search.backends.sqlite import fts_terms  # the SQLite backend's module loads SQLite's models

    assert fts_terms("'ab12' | 'cd34'") == '"zqab12" OR "zqcd34"'
    assert fts_terms("('ab12') & ('cd34' | 'ef56')") == '("zqab12") AND ("zqcd34" OR "zqef56")'


def test_a_filter_set_keeps_exactly_its_entries_and_none_past_its_last():
    from masthead.search.backends.sqlite import ENTRY_SET_SQL, FTS_TABLE, entry_bytes

    kept = entry_bytes([1, 3, 8])
    condition = ENTRY_SET_SQL.replace(f"{FTS_TABLE}.rowid", "value")
    with connection.cursor() as cursor:
        for ids, expected in ((kept, [1, 3, 8]), (entry_bytes([]), [])):
            cursor.execute(f"SELECT value FROM json_each('[0,1,2,3,7,8,9,300]') WHERE {condition}", [ids])  # noqa: S608
            assert [row[0] for row in cursor.fetchall()] == expected


def test_a_search_of_every_live_article_is_counted_against_the_set_of_their_entries(monkeypatch, library):
    from masthead.search.backends.sqlite import MastheadSQLiteSearchResults

    monkeypatch.setattr(MastheadSQLiteSearchResults, "CANDIDATES", 2)  # fewer than the matches: FTS5 counts them
    for number in range(3):
        make_article(title=f"Falcon {number}", body=paragraphs("A falcon."))
    draft = make_article(title="Falcon draft", body=paragraphs("A falcon."))
    draft.unpublish()
    topic = TopicFactory(name="Falcon watchers")  # another model's entry, which FTS5 matches too
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM wagtailsearch_indexentry_fts WHERE wagtailsearch_indexentry_fts MATCH 'falcon'"
        )
        assert cursor.fetchone()[0] == 5
    ids, total, statements = _falcons_in(SearchFilters())
    assert total == 3 and draft.pk not in ids and topic.pk not in ids
    assert statements and all("substr(" in sql for sql in statements)
    counts = [sql for sql in statements if sql.startswith("SELECT COUNT(*)")]
    assert counts and not [sql for sql in counts if "INDEXED BY" in sql]
