"""PostgreSQL: a phrase is looked for only in the entries having its neighbouring word pairs (migration 0004).

The pairs are a prefilter: they must never lose an entry that has the phrase
(checked against PostgreSQL's own phrase match over many generated texts), and
a phrase search must go through their index rather than every entry with the
phrase's words.
"""

from __future__ import annotations

import json
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.search.query import And, Phrase, PlainText

from masthead.articles.tests.factories import make_article, paragraphs
from masthead.search import selectors
from masthead.search.backends.postgres import PAIRS_SQL
from masthead.search.filters import SearchFilters
from masthead.search.query import parse_query

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

WORDS = ("reform", "test", "grid", "power", "talks", "border", "trade", "court", "ruling", "vote", "budget", "deal")
WORDS += ("the", "of", "and", "a", "in")  # stop words, between the others


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the word-pair index is PostgreSQL's (SQLite's FTS5 keeps positions in its index)")


def _texts(count: int, length: int, seed: int) -> list[str]:
    chooser = random.Random(seed)
    return [" ".join(chooser.choice(WORDS) for _ in range(length)) for _ in range(count)]


def test_every_text_with_a_phrase_has_the_phrases_word_pairs():
    """No false negatives: wherever PostgreSQL finds the phrase, the pairs prefilter lets the text through."""
    texts = _texts(400, 30, seed=7)
    phrases = [" ".join(text.split()[:n]) for text, n in zip(_texts(80, 4, seed=8), [2, 3, 4] * 30, strict=False)]
    phrases += ["rule of law", "vote of the court", "the reform", "reform test", "trade deal in the"]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH t AS (SELECT to_tsvector('english', value) AS v FROM json_array_elements_text(%s::json) AS value),
                 q AS (SELECT value AS phrase, phraseto_tsquery('english', value) AS phrase_query,
                              masthead_phrase_pairs(to_tsvector('english', value)) AS pairs
                       FROM json_array_elements_text(%s::json) AS value)
            SELECT
              count(*) FILTER (WHERE t.v @@ q.phrase_query),
              count(*) FILTER (WHERE t.v @@ q.phrase_query AND q.pairs IS NOT NULL
                               AND NOT masthead_word_pairs(t.v) @@ q.pairs),
              count(*) FILTER (WHERE q.pairs IS NOT NULL AND masthead_word_pairs(t.v) @@ q.pairs),
              count(*) FILTER (WHERE q.pairs IS NOT NULL AND t.v @@ plainto_tsquery('english', q.phrase)),
              count(*) FILTER (WHERE q.pairs IS NOT NULL AND numnode(q.phrase_query) = 3),
              count(*) FILTER (WHERE q.pairs IS NOT NULL AND numnode(q.phrase_query) = 3
                               AND (masthead_word_pairs(t.v) @@ q.pairs) <> (t.v @@ q.phrase_query))
            FROM t CROSS JOIN q
            """,
            [json.dumps(texts), json.dumps(phrases)],
        )
        found, lost, through_pairs, with_the_words, one_pair, differing = cursor.fetchone()
    assert found > 100  # the texts do hold many of the phrases
    assert lost == 0
    # A phrase of one pair of neighbours is its pair: the backend then reads no vector (`_phrase_pairs`).
    assert one_pair > 1000
    assert differing == 0
    assert through_pairs < with_the_words / 2  # and the pairs are a real filter: far fewer than the words alone


def test_a_phrase_search_asks_for_the_pairs_through_their_index_once():
    """The pairs are asked for by the expression migration 0004 indexed, so its index serves them; once per search."""
    make_article(title="A reform test for the grid", body=paragraphs("The reform test begins.", "Power talks."))
    make_article(title="Grid power", body=paragraphs("A test of reform.", "Talks again."))
    results = selectors.backend().search(Phrase("reform test"), selectors.live_articles(), order_by_relevance=True)
    with CaptureQueriesContext(connection) as searched:
        assert results.count() == 1 and len(list(results)) == 1
    asked = [query["sql"] for query in searched.captured_queries if PAIRS_SQL in query["sql"]]
    assert len(asked) == 1
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {asked[0]}")
        plan = json.dumps(cursor.fetchone()[0])
    assert "masthead_search_word_pairs_gin" in plan


def test_a_phrase_of_two_neighbouring_words_is_matched_by_its_pair_alone():
    """No vector is read for it: neither the phrase nor its words are checked in `title || body`, only the pair."""
    found = make_article(title="Reform test ahead", body=paragraphs("A reform test, again.", "Grid talks."))
    make_article(title="Test the reform", body=paragraphs("A test of reform.", "Grid power."))
    results = selectors.backend().search(Phrase("reform test"), selectors.live_articles(), order_by_relevance=True)
    sql, _params = results.matched_ids_sql()
    assert "e.title" not in sql.replace(PAIRS_SQL, "") and "e.body" not in sql.replace(PAIRS_SQL, "")
    assert [result.pk for result in results] == [found.pk]
    with_word = selectors.backend().search(
        And([Phrase("reform test"), PlainText("grid")]), selectors.live_articles(), order_by_relevance=True
    )
    assert [result.pk for result in with_word] == [found.pk]
    assert not list(
        selectors.backend().search(
            And([Phrase("reform test"), PlainText("power")]), selectors.live_articles(), order_by_relevance=True
        )
    )


def test_a_phrase_of_two_words_one_stop_word_apart_is_matched_by_their_pair_alone():
    """ "question of power" is 'question' <2> 'power': the pair two places apart (migration 0010) is the phrase.

    Without it, every entry having both words had its body read: 440 ms at 100,000 articles, 62 found."""
    found = make_article(title="A question of power", body=paragraphs("Talks again.", "Grid news."))
    also = make_article(title="Grid news", body=paragraphs("The question in power remains.", "Talks."))
    make_article(title="Power and a question", body=paragraphs("A question of the power grid.", "More talks."))
    make_article(title="Question power", body=paragraphs("Talks.", "Grid."))
    results = selectors.backend().search(
        Phrase("question of power"), selectors.live_articles(), order_by_relevance=True
    )
    sql, _params = results.matched_ids_sql()
    assert "e.title" not in sql.replace(PAIRS_SQL, "") and "e.body" not in sql.replace(PAIRS_SQL, "")
    assert {result.pk for result in results} == {found.pk, also.pk}  # PostgreSQL's <2>: any word between


def test_a_phrase_with_a_stop_word_between_its_words_is_still_found():
    """ "vote of the court" has no neighbouring pair of words: PostgreSQL's own phrase match decides alone."""
    article = make_article(title="The vote of the court", body=paragraphs("A ruling came.", "Then a deal."))
    make_article(title="A court vote", body=paragraphs("The vote was close.", "The court ruled."))
    results = selectors.backend().search(
        Phrase("vote of the court"), selectors.live_articles(), order_by_relevance=True
    )
    assert [result.pk for result in results] == [article.pk]


def test_a_phrase_read_as_one_word_is_matched_by_the_index_alone():
    """ "build-up" is the phrase "build up", which PostgreSQL reads as 'build' ("up" is a stop word): the entries
    having the word have the phrase, so no vector is read for it, and the same articles are found."""
    built = make_article(title="A build-up of troops", body=paragraphs("The build-up went on.", "Talks failed."))
    building = make_article(title="Building a grid", body=paragraphs("They build it fast.", "Power soon."))
    armed = make_article(title="Arms and a build-up", body=paragraphs("Arms again.", "More arms."))
    make_article(title="Grid notes", body=paragraphs("Reform talks.", "Nothing built here."))
    results = selectors.backend().search(
        parse_query("build-up -arms").search_query(), selectors.live_articles(), order_by_relevance=True
    )
    sql, _params = results.matched_ids_sql()
    assert "e.body @@" not in sql and "e.title @@" not in sql
    assert {result.pk for result in results} == {built.pk, building.pk}
    everything = selectors.backend().search(
        parse_query("build-up").search_query(), selectors.live_articles(), order_by_relevance=True
    )
    assert {result.pk for result in everything} == {built.pk, building.pk, armed.pk}


def test_a_phrases_word_pairs_and_the_newest_entry_are_asked_of_the_database_once():
    """Kept in the process: the pairs per phrase, the newest entry id per index version (a new entry changes it)."""
    make_article(title="Grid notes", body=paragraphs("The grid reform test came early."))

    def search() -> list[str]:
        with CaptureQueriesContext(connection) as searched:
            selectors.search_articles(query=parse_query('"reform test"'), filters=SearchFilters(), fresh=True)
        return [
            q["sql"] for q in searched.captured_queries if "masthead_phrase_pairs(" in q["sql"] or "MAX(id)" in q["sql"]
        ]

    assert len(search()) == 2
    assert search() == []
    make_article(title="Grid notes again", body=paragraphs("Another reform test."))
    assert [sql for sql in search() if "MAX(id)" in sql]  # the index was written: its newest entry is read again
