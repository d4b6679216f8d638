"""What a search does differently when a word is common: bounded ranking, a capped count, cached facets.

The limits are made small here so that a handful of articles stand for a library of 100,000.
"""

from __future__ import annotations

import pytest

from masthead.articles.tests.factories import days_ago, make_article, paragraphs
from masthead.search import selectors
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
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 4)
    outcome = search_page(client, q="kestrel").context["outcome"]
    assert not outcome.more
    assert outcome.total == 4


def test_facet_counts_are_cached_per_normalised_query(monkeypatch, kestrels):
    """ "Kestrel", "KESTREL" and "the kestrel" are one query: their facets are counted once."""
    calls = []
    original = selectors._facet_counts

    def counting(query, filters):
        calls.append(query.words)
        return original(query, filters)

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
