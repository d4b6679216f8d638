"""PostgreSQL: each index entry holds its filter values as terms, which a filtered search ANDs with the words.

The terms are a looser condition read from the GIN index; the exact filter
stays the check. They are used only once every entry holds the current ones.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.search.models import IndexEntry

from masthead.articles.models import ArticleKind, ArticlePage, Country
from masthead.articles.tests.factories import AuthorFactory, TopicFactory, make_article, paragraphs
from masthead.search import index_version, selectors
from masthead.search.backends.filters import FilterSQL, FilterTranslator
from masthead.search.backends.postgres import WITHOUT_VECTORS_PLANNER_SQL, MastheadPostgresSearchResults
from masthead.search.backends.terms import YEAR_TERMS_MAX, digest_term, term, year_term, years_between
from masthead.search.filters import SearchFilters
from masthead.search.query import parse_query

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("filter terms are PostgreSQL's (SQLite's filter sets are FTS5 row ids)")


def _entry_terms(article) -> set[str]:
    entry = IndexEntry.objects.get(object_id=str(article.pk), content_type__model="articlepage")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(masthead_filters) FROM wagtailsearch_indexentry WHERE id = %s", [entry.pk]
        )
        return set(cursor.fetchone()[0] or ())


def _falcons_in(filters: SearchFilters) -> tuple[set[int], int, list[str]]:
    """The ids and total of a search for "falcon" under the filters, and its candidates statements."""
    with CaptureQueriesContext(connection) as searched:
        outcome = selectors.search_articles(query=parse_query("falcon"), filters=filters, fresh=True)
    candidates = [query["sql"] for query in searched.captured_queries if "COUNT(*) OVER ()" in query["sql"]]
    return {card.pk for card in outcome.articles}, outcome.total, candidates


def test_an_entry_holds_a_term_for_each_filter_value_of_its_article(library):
    author = AuthorFactory()
    topic = TopicFactory(slug="birds-of-prey")
    france = Country.objects.get(code="FR")
    article = make_article(
        title="Falcons in the valley",
        kind=ArticleKind.IN_DEPTH,
        topics=[topic],
        countries=[france],
        authors=[author],
        body=paragraphs("A falcon.", "Another falcon."),
    )
    terms = _entry_terms(article)
    assert {
        digest_term(ArticlePage),
        term("kind", ArticleKind.IN_DEPTH),
        term("topics.slug", "birds-of-prey"),
        term("countries.slug", france.slug),
        term("countries.region", france.region_id),
        term("article_authors.author", author.pk),
        year_term(timezone.localtime(article.first_published_at).year),
    } <= terms
    assert term("kind", ArticleKind.DAILY_ANALYSIS) not in terms


def test_a_filtered_search_ands_the_filters_terms_with_the_words_once_every_entry_has_them(library):
    topic = TopicFactory(slug="birds-of-prey")
    tagged = make_article(title="Falcon watch", topics=[topic], body=paragraphs("A falcon.", "Wind."))
    make_article(title="Falcon again", body=paragraphs("A falcon.", "Rain."))
    found, total, statements = _falcons_in(SearchFilters(topic=topic))
    assert found == {tagged.pk} and total == 1
    assert any("masthead_filters @@" in sql for sql in statements)
    # An entry without terms (written before them, or by another way): never trusted, every filter as before.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE wagtailsearch_indexentry SET masthead_filters = NULL WHERE object_id = %s", [str(tagged.pk)]
        )
    index_version.changed()
    found, total, statements = _falcons_in(SearchFilters(topic=topic))
    assert found == {tagged.pk} and total == 1
    assert not any("masthead_filters @@" in sql for sql in statements)


def test_a_filters_pages_are_found_by_hashing_them_not_entry_by_entry(library, monkeypatch):
    """The statement finding a filter's set reads no vector: it is planned without nested loops (the planner
    joined each of 100,000 entries to a region's pages one by one, 220-290 ms), and the set keeps the same pages."""
    monkeypatch.setattr(MastheadPostgresSearchResults, "PAGE_SET_MIN", 1)  # a set, however few its pages
    topic = TopicFactory(slug="birds-of-prey")
    tagged = make_article(title="Falcon watch", topics=[topic], body=paragraphs("A falcon.", "Wind."))
    make_article(title="Falcon again", body=paragraphs("A falcon.", "Rain."))
    index_version.changed()  # no set kept from an earlier test
    with CaptureQueriesContext(connection) as searched:
        outcome = selectors.search_articles(query=parse_query("falcon"), filters=SearchFilters(topic=topic))
    assert [card.pk for card in outcome.articles] == [tagged.pk] and outcome.total == 1
    statements = [query["sql"] for query in searched.captured_queries]
    [at] = [i for i, sql in enumerate(statements) if sql.startswith("SELECT CAST(e.object_id AS INTEGER), e.id FROM")]
    assert statements[at - 1] == WITHOUT_VECTORS_PLANNER_SQL
    assert any("get_bit(" in sql and "COUNT(*) OVER ()" in sql for sql in statements[at:])  # the set is used
    with connection.cursor() as cursor:
        cursor.execute(WITHOUT_VECTORS_PLANNER_SQL)
        cursor.execute(f"EXPLAIN {statements[at]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Nested Loop" not in plan


def test_a_term_never_lets_through_an_article_the_filter_keeps_out(library):
    """Terms only narrow what the index reads: one saying "birds of prey" on an article without it changes nothing."""
    topic = TopicFactory(slug="birds-of-prey")
    tagged = make_article(title="Falcon watch", topics=[topic], body=paragraphs("A falcon.", "Wind."))
    other = make_article(title="Falcon again", body=paragraphs("A falcon.", "Rain."))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE wagtailsearch_indexentry SET masthead_filters = masthead_filters || array_to_tsvector(%s) "
            "WHERE object_id = %s",
            [[term("topics.slug", "birds-of-prey")], str(other.pk)],
        )
    index_version.changed()
    found, total, statements = _falcons_in(SearchFilters(topic=topic))
    assert any("masthead_filters @@" in sql for sql in statements)
    assert found == {tagged.pk} and total == 1


def test_a_year_filter_ands_the_years_term_and_keeps_exactly_the_years_articles(library, monkeypatch):
    """A year (a range of publication dates in the publication's time zone) names its year's term; the range checks."""
    monkeypatch.setattr(MastheadPostgresSearchResults, "PAGE_SET_MIN", 1)  # the year as a set of pages, too
    zone = timezone.get_current_timezone()
    eve = make_article(
        title="Falcon at year's end",
        published_at=dt.datetime(2022, 12, 31, 23, 30, tzinfo=zone),
        body=paragraphs("A falcon.", "Snow."),
    )
    new_year = make_article(
        title="Falcon at new year",
        published_at=dt.datetime(2023, 1, 1, 0, 30, tzinfo=zone),
        body=paragraphs("A falcon.", "Frost."),
    )
    later = make_article(
        title="Falcon in spring",
        published_at=dt.datetime(2024, 4, 1, 9, 0, tzinfo=zone),
        body=paragraphs("A falcon.", "Rain."),
    )
    found, total, statements = _falcons_in(SearchFilters(year=2023))
    assert found == {new_year.pk} and total == 1
    assert any(year_term(2023) in sql and "masthead_filters @@" in sql for sql in statements)
    assert not any(year_term(2022) in sql for sql in statements)
    assert not any("+ 0) BETWEEN" in sql for sql in statements)  # the term, not the year's range of entries
    # A date range over two years names both, and still keeps only the days asked for.
    spanning = SearchFilters(date_from=dt.date(2022, 12, 31), date_to=dt.date(2024, 3, 31))
    found, total, statements = _falcons_in(spanning)
    assert found == {eve.pk, new_year.pk} and total == 2
    assert any(year_term(2022) in sql and year_term(2024) in sql for sql in statements)
    assert later.pk not in found


def test_a_range_of_more_years_than_the_most_names_no_terms():
    zone = timezone.get_current_timezone()
    start = dt.datetime(2020, 1, 1, tzinfo=zone)
    assert years_between(start, dt.datetime(2020, 12, 31, 23, 59, tzinfo=zone)) == f"'{year_term(2020)}'"
    last = dt.datetime(2020 + YEAR_TERMS_MAX - 1, 6, 1, tzinfo=zone)
    assert years_between(start, last) == " | ".join(f"'{year_term(2020 + n)}'" for n in range(YEAR_TERMS_MAX))
    assert years_between(start, dt.datetime(2020 + YEAR_TERMS_MAX, 1, 1, tzinfo=zone)) is None
    assert years_between(start, start - dt.timedelta(days=400)) is None  # an empty range
    assert years_between(dt.datetime(2020, 1, 1), dt.datetime(2020, 2, 1)) is None  # naive: no zone to read


def test_terms_of_an_or_need_every_side_and_of_an_and_any():
    """An AND keeps the terms of the parts that have some; an OR with a part without terms has none."""
    with_terms, without = FilterSQL("a", terms="'x'"), FilterSQL("b")
    assert FilterTranslator._combined_terms("AND", [with_terms, without]) == "('x')"
    assert FilterTranslator._combined_terms("OR", [with_terms, without]) is None
    assert FilterTranslator._combined_terms("OR", [with_terms, FilterSQL("c", terms="'y'")]) == "('x') | ('y')"
    assert FilterTranslator._combined_terms("AND", [without]) is None


def _facet_counts_both_ways(monkeypatch, query: str, filters: SearchFilters):
    """The facet counts from the matches' terms, then from their pages and relations, and the first's statements."""
    with CaptureQueriesContext(connection) as counted:
        by_terms = selectors._facet_counts(parse_query(query), filters)
    with monkeypatch.context() as patched:
        patched.setattr(MastheadPostgresSearchResults, "filter_term_counts", lambda self, newest, fewest=0: None)
        by_pages = selectors._facet_counts(parse_query(query), filters)
    return by_terms, by_pages, [captured["sql"] for captured in counted.captured_queries]


@pytest.mark.parametrize("sample", [10_000, 1])
def test_the_facets_count_the_matches_terms_as_their_pages_and_relations_would(monkeypatch, library, sample):
    """Kinds, topics, regions, authors and years, of every match or of the newest `sample` of them."""
    monkeypatch.setattr(selectors, "FACET_SAMPLE", sample)
    monkeypatch.setattr(selectors, "FACET_TERMS_FEWEST", 1)
    monkeypatch.setattr(MastheadPostgresSearchResults, "PAGE_SET_MIN", 1)  # the topic as bits, quoted for ts_stat
    for query, filters in [("talks", SearchFilters()), ("sanction", SearchFilters(topic=library["topics"]["energy"]))]:
        by_terms, by_pages, statements = _facet_counts_both_ways(monkeypatch, query, filters)
        assert any("ts_stat(" in sql for sql in statements)
        assert by_terms == by_pages
        assert by_terms["matched"][""] == min(sample, 2 if query == "talks" else 1)
    by_terms, _, _ = _facet_counts_both_ways(monkeypatch, "talks", SearchFilters())
    if sample > 1:
        assert len(by_terms["year"]) == 2 and len(by_terms["kind"]) == 2 and sum(by_terms["topic"].values()) == 2


def test_the_facets_of_fewer_matches_than_fewest_are_counted_from_their_pages(monkeypatch, library):
    monkeypatch.setattr(selectors, "FACET_TERMS_FEWEST", 3)
    by_terms, by_pages, statements = _facet_counts_both_ways(monkeypatch, "talks", SearchFilters())
    assert not any("ts_stat(" in sql for sql in statements)
    assert by_terms == by_pages and by_terms["matched"][""] == 2


def test_the_facets_of_a_search_that_found_few_are_counted_from_their_pages(monkeypatch, library):
    """The page passes the search's total: below FACET_TERMS_FEWEST nothing is asked of the terms."""
    monkeypatch.setattr(selectors, "FACET_TERMS_FEWEST", 2)
    with CaptureQueriesContext(connection) as counted:
        told = selectors._facet_counts(parse_query("talks"), SearchFilters(), matches=1)
    assert not any("ts_stat(" in query["sql"] for query in counted.captured_queries)
    assert told == selectors._facet_counts(parse_query("talks"), SearchFilters())


def test_the_facets_are_counted_from_pages_while_an_entry_lacks_the_terms(monkeypatch, library):
    monkeypatch.setattr(selectors, "FACET_TERMS_FEWEST", 1)
    grid = library["articles"]["grid"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE wagtailsearch_indexentry SET masthead_filters = NULL WHERE object_id = %s", [str(grid.pk)]
        )
    index_version.changed()
    by_terms, by_pages, statements = _facet_counts_both_ways(monkeypatch, "talks", SearchFilters())
    assert not any("ts_stat(" in sql for sql in statements)
    assert by_terms == by_pages and by_terms["matched"][""] == 2
