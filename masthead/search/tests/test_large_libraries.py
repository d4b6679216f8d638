"""What a search does differently when a word is common: bounded ranking, a capped count, cached facets.

The limits are made small here so that a handful of articles stand for a library of 100,000.
"""

from __future__ import annotations

import itertools

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page
from wagtail.search import index
from wagtail.search.models import IndexEntry

from masthead.articles.models import ArticlePage
from masthead.articles.tests.factories import AuthorFactory, TopicFactory, days_ago, make_article, paragraphs
from masthead.core.memo import forget_all
from masthead.search import index_version, selectors
from masthead.search.backends import ranking
from masthead.search.backends.ranking import NEWEST
from masthead.search.backends.terms import term, year_term
from masthead.search.filters import SearchFilters
from masthead.search.query import parse_query
from masthead.search.tests.conftest import search_page

pytestmark = pytest.mark.django_db


def _results_class():
    return selectors.backend().results_class


@pytest.fixture
def kestrels(library):
    """An old article saying "kestrel" ten times, an old one with it in the headline, two new passing mentions.

    Beside the library's four articles and four more without the word, so that it is not a common word.
    """
    for number in range(4):
        make_article(title=f"Weather notes {number}", body=paragraphs("Rain again.", "Wind from the west."))
    old_body = make_article(
        title="Birds of the upland farms",
        body=paragraphs("The kestrel, the kestrel, the kestrel. " * 3, "A kestrel hovered.", "Nothing else."),
        published_at=days_ago(3000),
    )
    old_headline = make_article(
        title="The kestrel returns",
        body=paragraphs("A small falcon.", "Farmers are glad."),
        published_at=days_ago(2900),
    )
    new_first = make_article(
        title="Harvest week", body=paragraphs("A kestrel was seen once.", "Rain came."), published_at=days_ago(3)
    )
    new_second = make_article(
        title="Market day", body=paragraphs("Somebody mentioned a kestrel.", "Prices held."), published_at=days_ago(2)
    )
    return {"old_body": old_body, "old_headline": old_headline, "new_first": new_first, "new_second": new_second}


def test_a_common_word_ranks_the_newest_matches_first(monkeypatch, kestrels):
    """Past CANDIDATES matches, an old article mentioning the word only in its body is not on the first page."""
    results_class = _results_class()
    if not hasattr(results_class, "CANDIDATES"):
        pytest.skip("only Masthead's database backends bound their candidates")
    monkeypatch.setattr(results_class, "CANDIDATES", 2)
    results = selectors.backend().search("kestrel", selectors.live_articles(), order_by_relevance=True)
    ranked = selectors._ids(results[:2])
    assert kestrels["new_second"].pk in ranked
    assert kestrels["old_body"].pk not in ranked
    assert results.count() == 4


def test_with_fewer_matches_than_candidates_the_ranking_is_exact(monkeypatch, kestrels):
    """Below the bound every match is scored: the same order as with no bound at all."""
    results_class = _results_class()
    if not hasattr(results_class, "CANDIDATES"):
        pytest.skip("only Masthead's database backends bound their candidates")

    def ranking() -> list[int]:
        results = selectors.backend().search("kestrel", selectors.live_articles(), order_by_relevance=True)
        return selectors._ids(results[:4])

    bounded = ranking()
    monkeypatch.setattr(results_class, "CANDIDATES", 0)  # no candidates: every match ranked by one statement
    assert ranking() == bounded
    assert set(bounded) == {article.pk for article in kestrels.values()}


def test_pages_past_the_candidates_list_every_other_match_once(monkeypatch, kestrels):
    results_class = _results_class()
    if not hasattr(results_class, "CANDIDATES"):
        pytest.skip("only Masthead's database backends bound their candidates")
    monkeypatch.setattr(results_class, "CANDIDATES", 2)
    seen = []
    for page in (1, 2):
        outcome = selectors.search_articles(
            query=parse_query("kestrel"), filters=SearchFilters(), page=page, per_page=2
        )
        seen += [article.pk for article in outcome.articles]
    assert len(seen) == 4
    assert set(seen) == {article.pk for article in kestrels.values()}
    assert kestrels["old_body"].pk in seen[2:]  # not a candidate: after them


def test_past_the_count_limit_the_page_says_more_than(monkeypatch, client, kestrels):
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)
    response = search_page(client, q="kestrel")
    outcome = response.context["outcome"]
    assert outcome.more
    assert outcome.total == 3
    assert "More than 3 articles match" in response.content.decode()
    # By newest the pages end at the limit, and say how to go further back.
    newest = search_page(client, q="kestrel", sort="newest")
    assert (newest.context["outcome"].total, newest.context["outcome"].more) == (3, True)
    assert "These pages list the newest 3. Choose a year or dates to go further back." in newest.content.decode()
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 4)
    unlimited = search_page(client, q="kestrel", sort="newest", page="1")  # an address not kept yet
    assert "These pages list the newest" not in unlimited.content.decode()
    outcome = search_page(client, q="kestrel").context["outcome"]
    assert not outcome.more
    assert outcome.total == 4


def test_by_relevance_the_pages_list_the_best_few_and_by_newest_every_match(monkeypatch, client, kestrels):
    """Four matches, the best three listed: two pages of two by relevance, a page past them gives the last one."""
    monkeypatch.setattr(selectors, "RELEVANCE_RESULTS", 3)
    best = selectors.search_articles(query=parse_query("kestrel"), filters=SearchFilters(), per_page=3)
    outcome = selectors.search_articles(query=parse_query("kestrel"), filters=SearchFilters(), page=9, per_page=2)
    assert (outcome.total, outcome.listed, outcome.pages, outcome.page) == (4, 3, 2, 2)
    assert not outcome.has_next
    assert [article.pk for article in outcome.articles] == [best.articles[2].pk]  # the third best, alone
    newest = selectors.search_articles(
        query=parse_query("kestrel"), filters=SearchFilters(), sort="newest", page=9, per_page=2
    )
    assert (newest.total, newest.listed, newest.pages, newest.page) == (4, None, 2, 2)
    assert [article.pk for article in newest.articles] == [kestrels["old_headline"].pk, kestrels["old_body"].pk]

    page = search_page(client, q="kestrel")
    assert page.context["outcome"].listed == 3
    body = page.content.decode()
    assert "4 articles match" in body
    assert "These pages list the 3 most relevant" in body
    assert 'href="?q=kestrel&amp;sort=newest">Sort by newest</a>' in body
    assert "most relevant" not in search_page(client, q="kestrel", sort="newest").content.decode()
    # More matches than are counted: by newest, the pages list the newest of them.
    monkeypatch.setattr(selectors, "RELEVANCE_RESULTS", 2)
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 3)
    body = search_page(client, q="kestrel", sort="relevance").content.decode()  # an address not kept yet
    assert "These pages list the 2 most relevant." in body and "to go through the newest 3, or narrow" in body
    monkeypatch.setattr(selectors, "RELEVANCE_RESULTS", 4)
    assert "most relevant" not in search_page(client, q="kestrel").content.decode()


@pytest.mark.parametrize("topic", [False, True])
def test_sorted_by_newest_the_newest_pages_give_the_same_matches_as_sorting_them_all(monkeypatch, kestrels, topic):
    """Windows of the newest pages, widened by the share that matched, list what sorting every match lists."""
    expected = [kestrels[name].pk for name in ("new_second", "new_first", "old_headline", "old_body")]
    filters = SearchFilters()
    if topic:
        birds = TopicFactory(slug="birds")
        expected = [
            make_article(title=f"Kestrel count {n}", topics=[birds], published_at=days_ago(days)).pk
            for n, days in enumerate((10, 400, 4000))
        ]
        filters = SearchFilters(topic=birds)
    # A live article without a date (imported, say): last in the backends' sort, first in PostgreSQL's date index.
    undated = make_article(title="Kestrel, undated", topics=[birds] if topic else [])
    Page.objects.filter(pk=undated.pk).update(first_published_at=None)
    expected.append(undated.pk)

    def pages() -> list[int]:
        found = []
        for page in range(1, len(expected) + 2):  # one past the last: the last page again
            outcome = selectors.search_articles(
                query=parse_query("kestrel"), filters=filters, sort="newest", page=page, per_page=1, fresh=True
            )
            found += [article.pk for article in outcome.articles]
        return found

    windowed = []
    newest_ids = selectors._newest_ids
    monkeypatch.setattr(selectors, "_newest_ids", lambda *args: windowed.append(newest_ids(*args)) or windowed[-1])
    assert pages() == [*expected, expected[-1]]  # few matches (under NEWEST_WINDOW_MATCHES): all sorted
    assert windowed == []
    monkeypatch.setattr(selectors, "NEWEST_WINDOW_MATCHES", 0)
    monkeypatch.setattr(selectors, "NEWEST_WINDOW_MAX", 0)  # windows never wide enough: all sorted
    assert pages() == [*expected, expected[-1]]
    assert windowed and all(found is None for found in windowed)
    windowed.clear()
    monkeypatch.setattr(selectors, "NEWEST_WINDOW_MAX", 1_500)
    monkeypatch.setattr(selectors, "NEWEST_WINDOW_MIN", 1)  # windows of two pages, then widened
    assert pages() == [*expected, expected[-1]]
    assert [found for found in windowed if found is not None]  # pages came from windows (the last: all sorted)


@pytest.mark.parametrize("which", ["none", "topic", "country", "region", "author", "kind", "year"])
def test_a_listing_by_date_keeps_the_same_articles_as_the_searchs_filters(library, which):
    """`SearchFilters.listing` (EXISTS, for the newest windows) and `apply` (joins, for the backends) agree."""
    make_article(title="Elsewhere", countries=[library["countries"]["FR"], library["countries"]["AF"]])
    options = {
        "none": {},
        "topic": {"topic": library["topics"]["energy"]},
        "country": {"country": library["countries"]["AF"]},
        "region": {"region": library["region"]},
        "author": {"author": library["authors"]["nadia"]},
        "kind": {"kind": "in_depth"},
        "year": {"year": timezone.localdate().year},
    }[which]
    filters = SearchFilters(**options)
    listed = list(filters.listing(selectors.live_articles()).values_list("pk", flat=True))
    applied = set(filters.apply(selectors.live_articles()).values_list("pk", flat=True))
    assert listed and len(listed) == len(set(listed))  # some, each once
    assert set(listed) == applied


def _builds_a_filter_set(sqls: list[str]) -> bool:
    """Whether these statements include one building a filter set (`filter_set_sql`, PostgreSQL's or SQLite's)."""
    return any(sql.startswith(("SELECT CAST(e.object_id AS INTEGER), e.id", "SELECT e.id FROM")) for sql in sqls)


def test_the_windows_of_searches_sorted_by_newest_never_push_out_a_filters_set(monkeypatch, kestrels):
    """A filter readers choose keeps its set (no statement builds it again) after many searches by newest."""
    monkeypatch.setattr(selectors, "NEWEST_WINDOW_MIN", 1)
    monkeypatch.setattr(ranking, "_shared", lambda prefix, key, work_out: work_out())  # this process's memos alone
    topic = TopicFactory(slug="birds")
    make_article(title="Kestrel count", topics=[topic])
    if hasattr(_results_class(), "PAGE_SET_MIN"):
        monkeypatch.setattr(_results_class(), "PAGE_SET_MIN", 1)  # a set, however few its pages
    by_topic = SearchFilters(topic=topic)

    def statements(filters: SearchFilters, **options) -> list[str]:
        with CaptureQueriesContext(connection) as searched:
            selectors.search_articles(query=parse_query("kestrel"), filters=filters, fresh=True, **options)
        return [query["sql"] for query in searched.captured_queries]

    assert _builds_a_filter_set(statements(by_topic))
    assert not _builds_a_filter_set(statements(by_topic))  # kept
    statements(SearchFilters(), sort="newest", page=2, per_page=1)  # a window of the newest pages
    pages = list(selectors.live_articles().values_list("pk", flat=True))
    for pair in list(itertools.combinations(pages, 2))[:40]:  # 40 more lists of pages, each a filter of its own
        selectors._ids(
            selectors.backend().search("kestrel", selectors.live_articles().filter(pk__in=pair).order_by(*NEWEST))[:1]
        )
    assert not _builds_a_filter_set(statements(by_topic))


def test_every_relevance_page_comes_from_the_ranked_candidates():
    """The backends rank at least RELEVANCE_RESULTS candidates (besides the exact headlines put first), so no page
    listed by relevance ranks every other match (seconds for a common word at 100,000 articles)."""
    results_class = _results_class()
    if not hasattr(results_class, "CANDIDATES"):
        pytest.skip("only Masthead's database backends bound their candidates")
    assert results_class.CANDIDATES >= selectors.RELEVANCE_RESULTS


def _kestrel_results():
    return selectors.backend().search("kestrel", selectors.live_articles(), order_by_relevance=True)


def test_a_common_words_count_never_counts_unpublished_articles(monkeypatch, kestrels):
    """Three drafts say "kestrel" too: with the count stopping at 5, the four live articles are still counted as 4."""
    results_class = _results_class()
    if not hasattr(results_class, "CANDIDATES"):
        pytest.skip("only Masthead's database backends bound their candidates")
    for number in range(3):
        draft = make_article(title=f"Kestrel draft {number}", body=paragraphs("A kestrel.", "Unfinished."))
        draft.unpublish()
    monkeypatch.setattr(results_class, "CANDIDATES", 2)
    results = _kestrel_results()
    selectors._ids(results[:2])  # ranking first, as the page does: the candidates say the word is common
    assert results.capped_count(5) == 4
    assert _kestrel_results().count() == 4


def test_pages_not_live_are_left_out_whether_older_or_newer_than_the_live_matches(kestrels):
    """A page unpublished among the live ones, a draft after them and a live article after the draft, all in the
    index: the search of live articles finds the live ones alone (PostgreSQL reads the pages not live as bits)."""
    kestrels["old_body"].unpublish()
    draft = make_article(title="Kestrel draft", body=paragraphs("A kestrel.", "Unfinished."))
    draft.unpublish()
    for page in (kestrels["old_body"], draft):  # their entries still there (indexed before the unpublishing)
        index.insert_or_update_object(ArticlePage.objects.get(pk=page.pk))
    newest = make_article(title="Kestrel at dusk", body=paragraphs("A kestrel.", "Late light."))
    live = {kestrels[name].pk for name in ("old_headline", "new_first", "new_second")} | {newest.pk}
    results = _kestrel_results()
    assert set(selectors._ids(results[:10])) == live
    assert _kestrel_results().count() == 4


def test_a_common_words_count_past_the_limit_is_settled_by_the_full_text_index_alone(monkeypatch, kestrels):
    results_class = _results_class()
    if not hasattr(results_class, "CANDIDATES"):
        pytest.skip("only Masthead's database backends bound their candidates")
    # More matches than the index holds entries of other models: FTS5 counts them alone, checking the live set.
    others = IndexEntry.objects.exclude(content_type=ContentType.objects.get_for_model(ArticlePage)).count()
    author = AuthorFactory()
    for number in range(others + 3):
        make_article(title=f"Kestrel notes {number}", body=paragraphs("A kestrel again.", "Rain."), authors=[author])
    monkeypatch.setattr(results_class, "CANDIDATES", 2)
    results = _kestrel_results()
    selectors._ids(results[:2])
    with CaptureQueriesContext(connection) as counted:
        assert results.capped_count(3) == 3
    assert _kestrel_results().count() == others + 7  # the four kestrels and these
    if connection.vendor == "sqlite":  # the shortcut is SQLite's: no statement joined the index entries
        assert counted.captured_queries
        assert not [query for query in counted.captured_queries if "INDEXED BY" in query["sql"]]


def test_facet_counts_are_cached_per_normalised_query(monkeypatch, kestrels):
    """ "Kestrel", "KESTREL" and "the kestrel" are one query: their facets are counted once."""
    calls = []
    original = selectors._facet_counts

    def counting(query, filters, **hints):
        calls.append(query.words)
        return original(query, filters, **hints)

    monkeypatch.setattr(selectors, "_facet_counts", counting)
    selectors.cache.clear()
    first = selectors.search_facets(query=parse_query("Kestrel"), filters=SearchFilters())
    again = selectors.search_facets(query=parse_query("the KESTREL!"), filters=SearchFilters())
    assert first == again
    assert len(calls) == 1
    years = {value.label: value.count for facet in first if facet.parameter == "year" for value in facet.values}
    assert sum(years.values()) == 4


def test_past_the_facet_sample_facets_count_the_newest_matches_and_say_so(monkeypatch, client, kestrels):
    monkeypatch.setattr(selectors, "FACET_SAMPLE", 2)
    selectors.cache.clear()
    response = search_page(client, q="kestrel")
    years = {
        value.label: value.count
        for facet, values in response.context["facets"]
        if facet.parameter == "year"
        for value, _url in values
    }
    assert sum(years.values()) == 2
    assert "Counts among the newest 2 results." in response.content.decode()
    monkeypatch.setattr(selectors, "FACET_SAMPLE", 10)
    selectors.cache.clear()
    response = search_page(client, q="kestrel")
    assert "Counts among the newest" not in response.content.decode()


def _published_with_new_relations(article) -> None:
    """Publish, then index as the task does once the transaction is committed.

    The tests' immediate task backend indexes the page inside `save()`, before modelcluster writes its new
    topics; in production the task runs after the commit and reads them (the entry's filter terms, `terms.py`).
    """
    article.save_revision().publish()
    index.insert_or_update_object(article)


def test_a_filters_set_and_the_terms_check_are_worked_out_once_for_every_process(monkeypatch, kestrels):
    """Another process (here: this one, its memos forgotten) finds them in the shared cache, until content changes."""
    topic = TopicFactory(slug="birds")
    make_article(title="Kestrel count", topics=[topic])
    if hasattr(_results_class(), "PAGE_SET_MIN"):
        monkeypatch.setattr(_results_class(), "PAGE_SET_MIN", 1)  # a set, however few its pages

    def search() -> tuple[int, set[str]]:
        """The count, and what the search worked out: the filter's set, the terms' check."""
        with CaptureQueriesContext(connection) as searched:
            outcome = _kestrels_in(SearchFilters(topic=topic))
        sqls = [query["sql"] for query in searched.captured_queries]
        worked_out = {"set"} if _builds_a_filter_set(sqls) else set()
        worked_out |= {"terms"} if any(sql.startswith("SELECT (SELECT COUNT(*)") for sql in sqls) else set()
        return outcome.total, worked_out

    assert search() == (1, {"set", "terms"})
    forget_all()
    assert search() == (1, set())
    make_article(title="Another kestrel", topics=[topic])  # published: a new content version, a new set
    forget_all()
    total, worked_out = search()
    assert total == 2 and "set" in worked_out


def _kestrels_in(filters: SearchFilters) -> selectors.SearchOutcome:
    return selectors.search_articles(query=parse_query("kestrel"), filters=filters, fresh=True)


@pytest.fixture
def filters_as_id_sets(monkeypatch):
    """PostgreSQL passes a filter keeping many pages as their ids: here, any filter (SQLite always does)."""
    results_class = _results_class()
    if hasattr(results_class, "PAGE_SET_MIN"):
        monkeypatch.setattr(results_class, "PAGE_SET_MIN", 1)


def test_a_filtered_search_counts_and_ranks_what_the_filter_keeps(kestrels, filters_as_id_sets):
    """A topic's matches are counted and listed as the topic's articles, however the backend applies the filter."""
    from masthead.articles.tests.factories import TopicFactory

    birds = TopicFactory(slug="birds")
    tagged = [kestrels["old_headline"], kestrels["new_second"]]
    for article in tagged:
        article.topics = [birds]
        _published_with_new_relations(article)
    make_article(title="Kestrel in a draft", topics=[birds], body=paragraphs("A kestrel.", "Unfinished.")).unpublish()
    outcome = _kestrels_in(SearchFilters(topic=birds))
    assert outcome.total == 2
    assert {card.pk for card in outcome.articles} == {article.pk for article in tagged}
    assert _kestrel_results().count() == 4  # the other two still match without the filter


def test_a_filtered_search_finds_an_article_given_the_topic_since_the_last_one(kestrels, filters_as_id_sets):
    """The filter's set of index entries is worked out again when the content changes: nothing is missed."""
    from masthead.articles.tests.factories import TopicFactory

    birds = TopicFactory(slug="birds")
    assert _kestrels_in(SearchFilters(topic=birds)).total == 0
    article = kestrels["new_first"]
    article.topics = [birds]
    _published_with_new_relations(article)
    outcome = _kestrels_in(SearchFilters(topic=birds))
    assert outcome.total == 1
    assert [card.pk for card in outcome.articles] == [article.pk]
    article.unpublish()
    assert _kestrels_in(SearchFilters(topic=birds)).total == 0


def test_a_filtered_count_of_a_common_word_reads_no_index_entry_rows_on_sqlite(kestrels):
    """SQLite: the filter is a set of index entries, which FTS5 checks against each match's own rowid."""
    if connection.vendor != "sqlite":
        pytest.skip("the entry sets are the SQLite backend's")
    author = kestrels["new_first"].article_authors.first().author
    results = selectors.backend().search(
        parse_query("kestrel").search_query(), SearchFilters(author=author).apply(ArticlePage.objects.live())
    )
    with CaptureQueriesContext(connection) as counted:
        assert results.capped_count(10) == 1
    counts = [query["sql"] for query in counted.captured_queries if query["sql"].startswith("SELECT COUNT(*)")]
    assert counts
    assert not [sql for sql in counts if "INDEXED BY" in sql]


def test_postgres_passes_a_filter_keeping_many_pages_as_their_ids(kestrels, filters_as_id_sets):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's page sets")
    author = kestrels["new_first"].article_authors.first().author
    with CaptureQueriesContext(connection) as searched:
        outcome = _kestrels_in(SearchFilters(author=author))
    assert outcome.total == 1 and [card.pk for card in outcome.articles] == [kestrels["new_first"].pk]
    assert [query for query in searched.captured_queries if "get_bit(" in query["sql"]]


def test_postgres_reads_a_page_sets_bits_as_its_members_and_ids_past_it_as_not(db):
    """The set's bits as the server reads them (`get_bit` numbers a byte's bits from the least significant)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's page sets")
    from masthead.search.backends.postgres import page_bits

    members = {1, 7, 8, 9, 16, 1023}
    bits, last = page_bits(members)
    condition = _results_class().FILTER_SET_SQL.replace("CAST(e.object_id AS INTEGER)", "n")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n FROM generate_series(0, 5000) n WHERE {condition}", [bits, last])  # noqa: S608
        assert {row[0] for row in cursor.fetchall()} == members


def test_postgres_looks_for_a_rarer_words_candidates_in_a_wider_range_before_all_entries(monkeypatch, kestrels):
    """Too few candidates among the newest entries: a range as much wider, then every entry; the same results."""
    results_class = _results_class()
    if not hasattr(results_class, "RECENT_ENTRIES"):
        pytest.skip("PostgreSQL's recent entries")
    expected = [card.pk for card in _kestrels_in(SearchFilters()).articles]
    monkeypatch.setattr(results_class, "CANDIDATES", 3)
    monkeypatch.setattr(results_class, "RECENT_ENTRIES", 1)
    ranges = []
    real_candidates_sql = results_class.candidates_sql

    def candidates_sql(self, *, after=None, **kwargs):
        ranges.append(after)
        return real_candidates_sql(self, after=after, **kwargs)

    monkeypatch.setattr(results_class, "candidates_sql", candidates_sql)
    found = [card.pk for card in _kestrels_in(SearchFilters()).articles]
    assert sorted(found) == sorted(expected)  # four matches, three candidates: the fourth comes after them
    assert len(ranges) >= 2 and ranges[0] is not None
    assert ranges[1] is None or ranges[1] < ranges[0]  # a wider range (a lower threshold), or every entry


def test_postgres_counts_the_matches_while_ranking_when_it_reads_every_entry(kestrels):
    """The candidates statement read every entry: its count of the matches is the count; no count statement runs."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's candidates statement")
    for number in range(2):
        make_article(title=f"Kestrel draft {number}", body=paragraphs("A kestrel.", "Unfinished.")).unpublish()
    with CaptureQueriesContext(connection) as searched:
        outcome = _kestrels_in(SearchFilters())
    assert outcome.total == 4  # not the drafts
    assert [query for query in searched.captured_queries if "COUNT(*) OVER ()" in query["sql"]]
    assert not [query for query in searched.captured_queries if query["sql"].startswith("SELECT COUNT(*)")]


@pytest.fixture
def kestrel_notes(monkeypatch, kestrels):
    """Ten newer articles saying "kestrel", after the four; the newest four index entries stand for the recent ones."""
    results_class = _results_class()
    if not hasattr(results_class, "RECENT_ENTRIES"):
        pytest.skip("PostgreSQL's recent entries")
    author = AuthorFactory()  # one byline: no author's index entry comes between the notes'
    for number in range(10):
        make_article(title=f"Kestrel notes {number}", body=paragraphs("A kestrel again.", "Rain."), authors=[author])
    monkeypatch.setattr(results_class, "RECENT_ENTRIES", 4)
    monkeypatch.setattr(results_class, "CANDIDATES", 2)
    return results_class


def _counted_with_ranges(limit: int) -> tuple[int, list[str]]:
    """The capped count of "kestrel" after ranking its first page, and the count statements it ran."""
    results = _kestrel_results()
    selectors._ids(results[:2])
    with CaptureQueriesContext(connection) as counted:
        count = results.capped_count(limit)
    return count, [query["sql"] for query in counted.captured_queries if query["sql"].startswith("SELECT COUNT(*)")]


def test_postgres_counts_a_common_word_up_to_the_limit_in_the_newest_entries(kestrel_notes):
    """Every one of the newest entries matched: the limit is looked for in a range expected to hold it, and found."""
    count, statements = _counted_with_ranges(5)
    assert count == 5
    assert len(statements) == 1 and "(e.id + 0) >" in statements[0]


def test_postgres_counts_a_filtered_word_without_a_range_wider_than_twice_its_expected_matches():
    """With the filter's terms in the GIN index, a range wider than twice the matches expected in all is not read.

    A common word in a kind's articles: 1,077 of the newest 8,000 entries matched, 13,500 expected in all; the
    range for 5,000 would be 46,400 entries wide, which the index reads an entry id at a time.
    """
    from masthead.search.backends.postgres import count_range

    kind = {"newest": 100_000, "entries": 8_000, "matched": 1_077, "limit": 5_000}
    assert count_range(**kind, terms_indexed=True) is None
    assert count_range(**kind, terms_indexed=False) == 46_426  # the filter checked on each row: the range pays
    common = {"newest": 100_000, "entries": 8_000, "matched": 6_400, "limit": 5_000}  # 80,000 expected
    assert count_range(**common, terms_indexed=True) == 7_813
    assert count_range(**common, terms_indexed=False) == 7_813
    assert count_range(newest=100_000, entries=8_000, matched=300, limit=5_000, terms_indexed=False) is None


def test_postgres_tells_the_count_range_whether_the_filters_terms_are_in_the_index(monkeypatch, kestrel_notes):
    """Searched with a kind's filter (its terms in the GIN index) and without one, the count says which it is."""
    from masthead.articles.models import ArticleKind
    from masthead.search.backends import postgres

    told = []
    count_range = postgres.count_range

    def recording(**known):
        told.append(known["terms_indexed"])
        return count_range(**known)

    monkeypatch.setattr(postgres, "count_range", recording)
    monkeypatch.setattr(kestrel_notes, "PAGE_SET_MIN", 1)
    _counted_with_ranges(5)
    for_kind = selectors.backend().search(
        "kestrel", selectors.live_articles().filter(kind=ArticleKind.DAILY_ANALYSIS), order_by_relevance=True
    )
    selectors._ids(for_kind[:2])
    assert for_kind.capped_count(5) == 5
    assert told == [False, True]


def _plan_of_the_newest_candidates(results) -> str:
    """The plan of the candidates statement for the newest four entries, as `fetchall` runs it (its settings)."""
    where, params, needs_page = results._filtered()
    after = IndexEntry.objects.order_by("-id").values_list("id", flat=True)[4]
    sql, params = results.candidates_sql(where=where, params=params, needs_page=needs_page, after=after)
    return "\n".join(row[0] for row in results.fetchall(f"EXPLAIN {sql}", params))


def test_postgres_reads_the_newest_entries_with_the_words_never_through_the_primary_key(kestrel_notes):
    """The range of the newest entries is read beside the words from the GIN index; the primary key cannot answer it.

    Read from the primary key, the range has the vector checked on each entry in it, reading each body out of
    line (a common word's candidates: 130-170 ms instead of 3-6 ms at 100,000 articles), and the planner prices
    both plans alike. With statistics saying how few entries the range holds, and no GIN index to offer, the
    primary key is the best plan for `e.id > ...`: the range must be named so that it cannot be taken. (That the
    GIN index is taken is seen at 100,000 articles, not in a table this small, whose planner reads it whole.)
    """
    results = _kestrel_results()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE wagtailsearch_indexentry")
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX masthead_search_title_body_filters_range_gin")
        plan = _plan_of_the_newest_candidates(results)
        transaction.set_rollback(True)
    lines = plan.splitlines()
    on_primary_key = [lines[i + 1].strip() for i, line in enumerate(lines[:-1]) if "indexentry_pkey" in line]
    # Only the chosen candidates are read by their ids (their vectors, for the ranking); never the range.
    assert all(condition.startswith("Index Cond: (id = ") for condition in on_primary_key), plan


def test_postgres_reads_a_phrase_in_few_entries_in_one_statement_giving_candidates_and_count(kestrel_notes):
    """The entries having a phrase's word pairs are found first; few enough, every match is read at once.

    Their number bounds the matches: no range of the newest entries first, then a count (the ten notes say
    "kestrel notes" in their headlines, and the newest four entries would hold enough candidates).
    """
    with CaptureQueriesContext(connection) as searched:
        outcome = selectors.search_articles(query=parse_query('"kestrel notes"'), filters=SearchFilters(), fresh=True)
    assert outcome.total == 10
    statements = [query["sql"] for query in searched.captured_queries]
    candidates = [sql for sql in statements if "COUNT(*) OVER ()" in sql]
    assert len(candidates) == 1 and "(e.id + 0) >" not in candidates[0]
    assert not [sql for sql in statements if sql.startswith("SELECT COUNT(*)")]
    assert len([sql for sql in statements if "masthead_word_pairs(" in sql]) == 1


def test_postgres_counts_every_entry_when_the_newest_ones_fall_short_of_the_limit(kestrel_notes):
    """The ten notes and the four kestrels: a limit of 15 is not reached in the range, so everything is counted."""
    count, statements = _counted_with_ranges(15)
    assert count == 14
    assert len(statements) == 2 and "(e.id + 0) >" in statements[0] and "(e.id + 0) >" not in statements[1]
    assert _kestrel_results().count() == 14


@pytest.mark.parametrize("by_author", [False, True], ids=["year", "year and author"])
def test_postgres_reads_a_years_matches_in_one_statement_giving_candidates_and_count(
    monkeypatch, kestrels, filters_as_id_sets, by_author
):
    """A year's set is read whole at once, by its year's term, not first among the index's newest entries.

    Those hold none of a past year's articles; and the GIN index finds the year's entries by its term (not
    their range of entry ids, a key each), so reading them once gives candidates and count. So too with an
    author beside the year, whose filter term (`terms.py`) is ANDed with the year's and the set.
    """
    results_class = _results_class()
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's page sets")
    author = AuthorFactory()  # one byline: no author's index entry comes between the archive's
    archive = [
        make_article(
            title=f"Archive kestrel {number}",
            body=paragraphs("A kestrel.", "Old."),
            published_at=days_ago(6000),
            authors=[author],
        )
        for number in range(3)
    ]
    for number in range(5):  # indexed after the archive: the index's newest entries
        make_article(title=f"Later kestrel {number}", body=paragraphs("A kestrel.", "New."), authors=[author])
    monkeypatch.setattr(results_class, "RECENT_ENTRIES", 4)
    monkeypatch.setattr(results_class, "CANDIDATES", 2)
    with CaptureQueriesContext(connection) as searched:
        outcome = _kestrels_in(
            SearchFilters(year=archive[0].first_published_at.year, author=author if by_author else None)
        )
    assert {card.pk for card in outcome.articles} == {article.pk for article in archive} and outcome.total == 3
    candidates = [query for query in searched.captured_queries if "COUNT(*) OVER ()" in query["sql"]]
    assert len(candidates) == 1 and "(e.id + 0)" not in candidates[0]["sql"]
    assert year_term(archive[0].first_published_at.year) in candidates[0]["sql"]
    assert (term("article_authors.author", author.pk) in candidates[0]["sql"]) == by_author
    assert not [query for query in searched.captured_queries if query["sql"].startswith("SELECT COUNT(*)")]


def test_postgres_names_the_entry_range_of_a_filter_set_whose_entries_lie_together(kestrels, filters_as_id_sets):
    """A year's articles were indexed together: their set also bounds the entry ids, read by the GIN index.

    So it is while an entry lacks the current filter terms; once every entry has them, the year's term
    finds them instead (`test_postgres_reads_a_years_matches_in_one_statement_giving_candidates_and_count`).
    """
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's page sets")
    with connection.cursor() as cursor:  # an entry without terms: none are trusted
        cursor.execute(
            "UPDATE wagtailsearch_indexentry SET masthead_filters = NULL WHERE object_id = %s",
            [str(kestrels["new_first"].pk)],
        )
    index_version.changed()
    archive = [
        make_article(
            title=f"Archive kestrel {number}", body=paragraphs("A kestrel.", "Old."), published_at=days_ago(6000)
        )
        for number in range(2)
    ]
    year = archive[0].first_published_at.year
    with CaptureQueriesContext(connection) as searched:
        outcome = _kestrels_in(SearchFilters(year=year))
    assert {card.pk for card in outcome.articles} == {article.pk for article in archive} and outcome.total == 2
    assert [query for query in searched.captured_queries if "(e.id + 0) BETWEEN" in query["sql"]]
    this_year = timezone.localtime(kestrels["new_second"].first_published_at).year
    in_this_year = {
        article.pk for article in kestrels.values() if timezone.localtime(article.first_published_at).year == this_year
    }
    assert {card.pk for card in _kestrels_in(SearchFilters(year=this_year)).articles} == in_this_year
    results = _kestrel_results()
    newest = IndexEntry.objects.order_by("-id").values_list("id", flat=True)[0]
    close = results.encode_filter_set([(1, newest - 1), (2, newest - 1), (3, newest)])
    spread = results.encode_filter_set([(1, 1), (2, newest // 2), (3, newest)])
    assert close is not None and "BETWEEN" in close[0] and close[1][2:] == [newest - 1, newest]
    assert spread is not None and "BETWEEN" not in spread[0] and spread[1] == [bytes([0b1110]), 7]
