"""Bounces and complaints from the sending service (Postmark's webhook through django-anymail) suppress the address."""

import base64
import json

import pytest
from django.utils import timezone

from masthead.articles.tests.factories import make_article
from masthead.newsletters import sending
from masthead.newsletters.enums import DeliveryState, SkipReason
from masthead.newsletters.models import Delivery, Suppression
from masthead.newsletters.workers import WorkerHandle

from . import factories

pytestmark = pytest.mark.django_db
URL = "/anymail/postmark/tracking/"
SECRET = "postmark-hook:s3cret-webhook-password"


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def _auth(secret=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _bounce(email, bounce_type="HardBounce", record_type="Bounce"):
    return {
        "RecordType": record_type,
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": bounce_type,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "newsletter",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "newsletters@meridian.example",
        "BouncedAt": "2026-05-11T06:33:54.9070259Z",
        "DumpAvailable": False,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "The Daily Review",
    }


def _post(client, payload, **extra):
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **{**_auth(), **extra})


def test_hard_bounce_suppresses_the_address_and_the_next_send_skips_it(client, smtp_server):
    bouncer = factories.free_reader(email="Bouncer@Example.org")
    fine = factories.free_reader()
    response = _post(client, _bounce("bouncer@example.org"))
    assert response.status_code == 200
    suppression = Suppression.objects.get(email="bouncer@example.org")
    assert suppression.reason == "bounced" and "Postmark" in suppression.detail

    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)
    assert [rcpt for _, rcpts in smtp_server.envelopes for rcpt in rcpts] == [fine.email]
    assert not Delivery.objects.filter(issue=issue, reader=bouncer).exists()  # never frozen in


def test_complaint_mid_send_skips_the_reader_from_the_next_batch():
    reader = factories.free_reader()
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)
    sending.start_send(issue.pk)
    from django.test import Client

    payload = {**_bounce(reader.email, bounce_type="SpamComplaint", record_type="SpamComplaint"), "TypeCode": 512}
    assert _post(Client(), payload).status_code == 200
    assert Suppression.objects.get(email=reader.email).reason == "complained"
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)
    delivery = Delivery.objects.get(issue=issue, reader=reader)
    assert (delivery.state, delivery.skip_reason) == (DeliveryState.SKIPPED, SkipReason.SUPPRESSED)


def test_soft_bounce_does_not_suppress(client):
    factories.free_reader(email="soft@example.org")
    assert _post(client, _bounce("soft@example.org", bounce_type="SoftBounce")).status_code == 200
    assert not Suppression.objects.exists()


def test_webhook_with_wrong_credentials_is_refused(client):
    response = client.post(
        URL, data=json.dumps(_bounce("victim@example.org")), content_type="application/json", **_auth("x:y")
    )
    assert response.status_code in (400, 401, 403)
    assert not Suppression.objects.exists()


def test_events_are_ignored_when_the_webhook_is_not_authenticated(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.post(URL, data=json.dumps(_bounce("victim@example.org")), content_type="application/json")
    assert not Suppression.objects.exists()
