"""Gift links: a subscriber shares one article; the recipient reads it for a while without their meter."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masthead.access.enums import Reason
from masthead.access.models import GiftLink
from masthead.access.tests import factories
from masthead.access.tokens import gift_token

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _create(client: Client, article):
    return client.post(reverse("access:gift_create", args=(article.pk,)))


def _gift_url(client: Client) -> str:
    page = client.get(reverse("access:gifts")).content.decode()
    return re.search(r'value="(http[^"]+\?gift=[^"]+)"', page).group(1)


def test_a_subscriber_shares_an_article_and_the_recipient_reads_it_in_full_without_their_meter():
    giver = factories.subscriber()
    secret = factories.marker()
    article = factories.gated_article(secret)
    giver_client = _signed_in(giver)
    assert _create(giver_client, article).status_code == 302
    url = _gift_url(giver_client)

    recipient = Client()
    landing = recipient.get(url)
    assert landing.status_code == 302 and landing["Location"] == article.url  # the token leaves the address bar
    page = recipient.get(article.url)

    assert page.access_decision.reason == Reason.GIFT_LINK
    assert secret in page.content.decode()


def test_the_giver_sees_how_many_times_their_link_was_opened():
    giver = factories.subscriber()
    article = factories.gated_article(factories.marker())
    giver_client = _signed_in(giver)
    _create(giver_client, article)
    url = _gift_url(giver_client)

    for _ in range(3):
        Client().get(url)
    same_browser = Client()
    same_browser.get(url)
    same_browser.get(url)

    assert GiftLink.objects.get().opens == 4
    assert "Opened 4 times" in giver_client.get(reverse("access:gifts")).content.decode()


def test_a_gift_link_works_for_fourteen_days_only():
    giver = factories.subscriber()
    article = factories.gated_article(factories.marker())
    now = timezone.now()
    giver_client = _signed_in(giver)
    _create(giver_client, article)
    url = _gift_url(giver_client)

    with time_machine.travel(now + dt.timedelta(days=14, minutes=1)):
        late = Client()
        late.get(url)
        assert late.get(article.url).access_decision.reason == Reason.ANONYMOUS

    early = Client()
    early.get(url)
    with time_machine.travel(now + dt.timedelta(days=14, minutes=1)):
        assert early.get(article.url).access_decision.reason == Reason.ANONYMOUS


def test_a_revoked_gift_link_stops_working():
    giver = factories.subscriber()
    article = factories.gated_article(factories.marker())
    giver_client = _signed_in(giver)
    _create(giver_client, article)
    url = _gift_url(giver_client)
    gift = GiftLink.objects.get()

    assert giver_client.post(reverse("access:gift_revoke", args=(gift.pk,))).status_code == 302

    recipient = Client()
    recipient.get(url)
    page = recipient.get(article.url)
    assert page.access_decision.reason == Reason.ANONYMOUS
    assert "expired or was withdrawn" in page.content.decode()


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "0" * 32 + ":forged", "x" * 5000, "../../etc/passwd", "%00", "\u202e"],
)
def test_a_tampered_or_junk_gift_token_shows_the_teaser_with_a_message(token):
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = Client()

    response = client.get(article.url, {"gift": token}, follow=True)

    assert response.status_code == 200
    assert secret not in response.content.decode()
    assert "not valid" in response.content.decode()


def test_a_gift_token_for_one_article_does_not_open_another():
    giver = factories.subscriber()
    gifted = factories.gated_article(factories.marker())
    other_secret = factories.marker()
    other = factories.gated_article(other_secret)
    giver_client = _signed_in(giver)
    _create(giver_client, gifted)
    token = gift_token(GiftLink.objects.get().pk)

    client = Client()
    client.get(other.url, {"gift": token})

    assert other_secret not in client.get(other.url).content.decode()


def test_only_subscribers_create_gift_links():
    article = factories.gated_article(factories.marker())
    reader_client = _signed_in(factories.reader())

    response = _create(reader_client, article)

    assert response.status_code == 302
    assert not GiftLink.objects.exists()


def test_a_subscriber_creates_at_most_ten_gift_links_a_month():
    giver = factories.subscriber()
    article = factories.gated_article(factories.marker())
    client = _signed_in(giver)
    for _ in range(12):
        _create(client, article)
    assert GiftLink.objects.filter(giver=giver).count() == 10


def test_a_reader_cannot_revoke_someone_elses_gift_link():
    giver = factories.subscriber()
    article = factories.gated_article(factories.marker())
    _create(_signed_in(giver), article)
    gift = GiftLink.objects.get()

    response = _signed_in(factories.subscriber()).post(reverse("access:gift_revoke", args=(gift.pk,)))

    assert response.status_code == 404
    assert GiftLink.objects.get().revoked_at is None


def test_withdrawing_a_gift_link_ends_it_for_a_browser_that_already_opened_it():
    giver = factories.subscriber()
    secret = factories.marker()
    article = factories.gated_article(secret)
    giver_client = _signed_in(giver)
    _create(giver_client, article)
    recipient = Client()
    recipient.get(_gift_url(giver_client))
    assert secret in recipient.get(article.url).content.decode()

    giver_client.post(reverse("access:gift_revoke", args=(GiftLink.objects.get().pk,)))

    assert secret not in recipient.get(article.url).content.decode()
