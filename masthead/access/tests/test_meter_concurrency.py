"""Many simultaneous requests from one reader never unlock more than the quota (PostgreSQL, real connections)."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from masthead.access.models import GiftLink, MeterUnlock
from masthead.access.services import GiftQuotaExceeded, gift_link_create, meter_unlock
from masthead.access.tests import factories
from masthead.articles.tests.factories import make_article

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.postgres]

THREADS = 12


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite runs one writer at a time by design)")


def _race(worker, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = worker(index)
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_simultaneous_unlocks_of_different_articles_never_exceed_the_quota():
    user = factories.reader()
    articles = [make_article() for _ in range(THREADS)]
    now = timezone.now()

    results = _race(lambda i: meter_unlock(reader=user, article_id=articles[i].pk, quota=3, now=now), THREADS)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(1 for r in results if r.unlocked) == 3
    assert MeterUnlock.objects.filter(reader=user).count() == 3


def test_simultaneous_unlocks_of_one_article_use_one_free_article():
    user = factories.reader()
    article = make_article()
    now = timezone.now()

    results = _race(lambda i: meter_unlock(reader=user, article_id=article.pk, quota=3, now=now), THREADS)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(r.unlocked for r in results)
    assert MeterUnlock.objects.filter(reader=user).count() == 1


def test_simultaneous_gift_links_never_exceed_the_monthly_quota():
    giver = factories.subscriber()
    article = make_article()
    now = timezone.now()

    def create(_):
        try:
            return gift_link_create(giver=giver, article_id=article.pk, monthly_quota=5, days=14, now=now)
        except GiftQuotaExceeded:
            return None

    results = _race(create, THREADS)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert GiftLink.objects.filter(giver=giver).count() == 5
