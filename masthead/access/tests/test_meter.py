"""The meter: free articles of the reader's choice, per calendar month, counted on the server."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from masthead.access.enums import FunnelEvent, Reason, UnlockSource
from masthead.access.models import FunnelCount, MeterUnlock
from masthead.access.services import meter_unlock, month_of, registration_unlock
from masthead.access.tests import factories
from masthead.articles.tests.factories import make_article

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _reader_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _unlock(client: Client, article):
    return client.post(reverse("access:unlock", args=(article.pk,)))


def test_a_verified_reader_unlocks_an_article_of_their_choice_and_reads_it():
    user = factories.reader()
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _reader_client(user)

    assert secret not in client.get(article.url).content.decode()
    response = _unlock(client, article)

    assert response.status_code == 302 and response["Location"] == article.url
    page = client.get(article.url)
    assert page.access_decision.reason == Reason.METER_UNLOCKED
    assert secret in page.content.decode()
    assert MeterUnlock.objects.filter(reader=user, source=UnlockSource.METER).count() == 1


def test_a_registered_readers_fourth_article_in_a_month_shows_the_teaser():
    user = factories.reader()
    client = _reader_client(user)
    articles = [factories.gated_article(factories.marker()) for _ in range(4)]

    for article in articles[:3]:
        _unlock(client, article)
    _unlock(client, articles[3])

    fourth = client.get(articles[3].url)
    assert fourth.access_decision.reason == Reason.METER_EXHAUSTED
    assert MeterUnlock.objects.filter(reader=user).count() == 3


def test_rereading_an_unlocked_article_uses_nothing_more():
    user = factories.reader()
    client = _reader_client(user)
    article = factories.gated_article(factories.marker())

    _unlock(client, article)
    _unlock(client, article)
    for _ in range(3):
        client.get(article.url)

    assert MeterUnlock.objects.filter(reader=user).count() == 1
    assert client.get(article.url).access_decision.meter_remaining == 2


def test_the_meter_starts_again_on_the_first_of_the_month_in_the_publications_time_zone():
    user = factories.reader()
    late_october = dt.datetime(2026, 10, 31, 23, 30, tzinfo=LONDON)
    articles = [make_article() for _ in range(4)]
    for article in articles[:3]:
        assert meter_unlock(reader=user, article_id=article.pk, quota=3, now=late_october).unlocked
    assert not meter_unlock(reader=user, article_id=articles[3].pk, quota=3, now=late_october).unlocked

    early_november = dt.datetime(2026, 11, 1, 0, 5, tzinfo=LONDON)
    result = meter_unlock(reader=user, article_id=articles[3].pk, quota=3, now=early_november)

    assert result.unlocked and result.remaining == 2
    assert month_of(late_october) == dt.date(2026, 10, 1)
    assert month_of(early_november) == dt.date(2026, 11, 1)


def test_articles_unlocked_last_month_stay_readable_this_month():
    user = factories.reader()
    secret = factories.marker()
    article = factories.gated_article(secret)
    with time_machine.travel(dt.datetime(2026, 10, 15, 12, tzinfo=LONDON)):
        meter_unlock(reader=user, article_id=article.pk, quota=3, now=dt.datetime(2026, 10, 15, 12, tzinfo=LONDON))
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, tzinfo=LONDON)):
        page = _reader_client(user).get(article.url)
    assert secret in page.content.decode()
    assert page.access_decision.meter_remaining == 3


def test_the_meter_follows_the_reader_to_another_device():
    user = factories.reader()
    article = factories.gated_article(factories.marker())
    _unlock(_reader_client(user), article)

    other_device = _reader_client(user)

    assert other_device.get(article.url).access_decision.reason == Reason.METER_UNLOCKED


def test_the_registration_article_is_unlocked_at_once_and_uses_no_free_article(rf):
    user = factories.reader(verified=False)
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _reader_client(user)
    request = rf.get("/")
    request.session = client.session
    registration_unlock(request=request, reader=user, article_id=article.pk, now=dt.datetime.now(dt.UTC))
    request.session.save()

    page = client.get(article.url)

    assert page.access_decision.reason == Reason.REGISTRATION_ARTICLE
    assert secret in page.content.decode()
    assert MeterUnlock.objects.get(reader=user).source == UnlockSource.REGISTRATION
    # Another device sees it only once the address is confirmed...
    assert secret not in _reader_client(user).get(article.url).content.decode()
    factories.EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    confirmed = _reader_client(user).get(article.url)
    assert secret in confirmed.content.decode()
    # ...and it never counted against the meter.
    assert confirmed.access_decision.meter_remaining == 3


def test_the_monthly_quota_is_an_editor_setting():
    from wagtail.models import Site

    from masthead.access.models import AccessSettings

    settings = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    settings.monthly_free_articles = 1
    settings.save()
    user = factories.reader()
    client = _reader_client(user)
    first, second = make_article(), make_article()

    _unlock(client, first)
    _unlock(client, second)

    assert client.get(second.url).access_decision.reason == Reason.METER_EXHAUSTED


def test_unlocking_needs_a_post_with_a_csrf_token():
    user = factories.reader()
    article = make_article()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get(reverse("access:unlock", args=(article.pk,))).status_code == 405
    assert client.post(reverse("access:unlock", args=(article.pk,))).status_code == 403
    assert not MeterUnlock.objects.exists()


@pytest.mark.parametrize("article_id", [0, 999999])
def test_unlocking_an_unknown_article_is_a_404(article_id):
    client = _reader_client(factories.reader())
    assert client.post(reverse("access:unlock", args=(article_id,))).status_code == 404


def test_an_anonymous_reader_cannot_unlock():
    article = make_article()
    response = Client().post(reverse("access:unlock", args=(article.pk,)))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not MeterUnlock.objects.exists()


def test_unlocking_a_draft_is_a_404():
    article = make_article(live=False)
    assert _reader_client(factories.reader()).post(reverse("access:unlock", args=(article.pk,))).status_code == 404


def test_the_funnel_counts_teasers_gates_unlocks_and_exhausted_meters():
    article = factories.gated_article(factories.marker())
    Client().get(article.url)
    user = factories.reader()
    client = _reader_client(user)
    factories.use_meter(user, count=2)
    _unlock(client, article)
    spent = factories.reader()
    factories.use_meter(spent, count=3)
    _reader_client(spent).get(article.url)

    counts = {row.event: row.count for row in FunnelCount.objects.filter(article_id=article.pk)}

    assert counts[FunnelEvent.TEASER_SHOWN] == 2
    assert counts[FunnelEvent.GATE_SHOWN] == 1
    assert counts[FunnelEvent.UNLOCK] == 1
    assert counts[FunnelEvent.METER_EXHAUSTED] == 1
    assert counts[FunnelEvent.SUBSCRIBE_SHOWN] == 1


def _facts_of(user):
    from masthead.access import readers

    return readers.reader_for_user(user, quota=3, article_ids=[])


def test_a_readers_facts_worked_out_in_one_process_serve_another_without_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masthead.access import readers

    reader = factories.reader()
    factories.use_meter(reader, count=2)
    reader.refresh_from_db()
    first = _facts_of(reader)
    assert first.meter.used == 2
    readers.forget_readers()  # another process: its own memo is empty, the shared cache is not
    with CaptureQueriesContext(connection) as queries:
        again = _facts_of(reader)
    assert again == first and len(queries) == 0
    factories.use_meter(reader, count=1)  # raises the reader's access version: a new key everywhere
    reader.refresh_from_db()
    readers.forget_readers()
    assert _facts_of(reader).meter.used == 3


def test_without_the_shared_cache_a_readers_facts_come_from_the_database(monkeypatch):
    from django.core.cache import cache

    from masthead.access import readers

    reader = factories.reader()
    factories.use_meter(reader, count=1)
    reader.refresh_from_db()

    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    readers.forget_readers()
    found = _facts_of(reader)
    assert not found.lookup_failed and found.meter.used == 1
