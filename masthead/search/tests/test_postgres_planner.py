"""PostgreSQL: each search statement is planned with the search's settings, which never outlast it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.articles.models import ArticlePage
from masthead.search import selectors
from masthead.search.query import parse_query

pytestmark = [pytest.mark.postgres]

SETTINGS = "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), current_setting('jit')"


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the planner settings are PostgreSQL's")


def _results():
    return selectors.backend().search(parse_query("kestrel").search_query(), ArticlePage.objects.live())


def _settings() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(SETTINGS)
        return cursor.fetchone()


# serialized_rollback, as every transactional test here: puts back what migrations load after the flush
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_the_settings_and_the_statement_are_sent_as_one_message():
    before = _settings()
    with CaptureQueriesContext(connection) as sent:
        assert _results().fetchall(SETTINGS, []) == [("off", "off", "off")]
    assert len(sent.captured_queries) == 1
    assert _settings() == before and before[:2] == ("on", "on")


@pytest.mark.django_db
def test_inside_a_transaction_the_settings_end_with_the_statement():
    """A test's transaction, or a request's with ATOMIC_REQUESTS: the settings must not stay for what follows."""
    before = _settings()
    assert _results().fetchall(SETTINGS, []) == [("off", "off", "off")]
    assert _settings() == before and before[:2] == ("on", "on")
