"""The pages that are not live have an index of their own, which no listing of live pages is misled by (0009)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection

from masthead.articles.selectors import _live_articles, articles_for_topic
from masthead.articles.tests.factories import TopicFactory, make_article
from masthead.search.liveness import NONLIVE_KEY, NONLIVE_SQL, nonlive_page_ids

pytestmark = pytest.mark.django_db


def _sqlite_plan(sql: str, params=()) -> str:
    if connection.vendor != "sqlite":
        pytest.skip("the plans checked are SQLite's, which has no statistics to tell `live` is not selective")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_pages_not_live_are_listed_from_their_own_index():
    shown, hidden = make_article(), make_article()
    hidden.unpublish()
    cache.delete(NONLIVE_KEY)
    assert hidden.pk in nonlive_page_ids() and shown.pk not in nonlive_page_ids()
    plan = _sqlite_plan(NONLIVE_SQL.format(table="wagtailcore_page"))
    assert "masthead_search_page_not_live" in plan


@pytest.mark.parametrize("listing", ["newest", "topic"])
def test_a_listing_of_the_newest_live_articles_walks_the_date_index_and_sorts_nothing(listing):
    """With an index on `live` the listing read every live page from it and sorted them (93-250 ms at 100,000)."""
    topic = TopicFactory()
    make_article(topics=[topic])
    queryset = _live_articles() if listing == "newest" else articles_for_topic(topic=topic)
    sql, params = queryset.values_list("pk", flat=True)[:3].query.sql_with_params()
    plan = _sqlite_plan(sql, params)
    assert "first_published_at" in plan
    assert "TEMP B-TREE" not in plan
