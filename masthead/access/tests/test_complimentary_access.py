import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masthead.access.enums import Reason
from masthead.access.models import ComplimentaryAccess
from masthead.access.tests import factories

pytestmark = pytest.mark.django_db


def _form(email: str, starts: dt.datetime, ends: dt.datetime) -> dict:
    fmt = "%Y-%m-%d %H:%M"
    return {
        "reader_email": email,
        "starts_at": timezone.localtime(starts).strftime(fmt),
        "ends_at": timezone.localtime(ends).strftime(fmt),
        "note": "Contributor",
    }


def test_an_editor_grants_complimentary_access_by_email_and_the_reader_reads_everything_until_it_ends(admin_client):
    user = factories.reader(email="Contributor@Example.org")
    now = timezone.now()
    response = admin_client.post(
        reverse("complimentary_access:add"),
        _form("contributor@example.org", now - dt.timedelta(minutes=5), now + dt.timedelta(days=30)),
    )
    assert response.status_code == 302
    grant = ComplimentaryAccess.objects.get()
    assert grant.reader == user

    client = Client()
    client.force_login(user)
    article = factories.gated_article(factories.marker())
    assert client.get(article.url).access_decision.reason == Reason.COMPLIMENTARY


def test_granting_access_to_an_unknown_address_says_so(admin_client):
    now = timezone.now()
    response = admin_client.post(
        reverse("complimentary_access:add"), _form("nobody@example.org", now, now + dt.timedelta(days=1))
    )
    assert response.status_code == 200
    assert "No reader has this email address" in response.content.decode()
    assert not ComplimentaryAccess.objects.exists()


def test_access_must_end_after_it_starts(admin_client):
    factories.reader(email="reader@example.org")
    now = timezone.now()
    response = admin_client.post(
        reverse("complimentary_access:add"), _form("reader@example.org", now, now - dt.timedelta(days=1))
    )
    assert response.status_code == 200
    assert "Access must end after it starts." in response.content.decode()


def test_a_subscriber_sees_the_share_as_a_gift_button_and_other_readers_do_not():
    article = factories.gated_article(factories.marker())
    subscriber, reader = Client(), Client()
    subscriber.force_login(factories.subscriber())
    reader.force_login(factories.reader())
    assert "Share as a gift" in subscriber.get(article.url).content.decode()
    assert "Share as a gift" not in reader.get(article.url).content.decode()
