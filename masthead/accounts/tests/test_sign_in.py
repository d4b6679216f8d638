"""Signing in with an emailed code: single use, short-lived, a few attempts, a fresh session."""

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from masthead.access.tests import factories
from masthead.core.testing.smtp import text_of

User = get_user_model()


def _code(message) -> str:
    return re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", text_of(message)).group(1)


def _request_code(client: Client, email: str):
    return client.post(reverse("account_request_login_code"), {"email": email})


def _confirm(client: Client, code: str):
    return client.post(reverse("account_confirm_login_code"), {"code": code})


def _signed_in(client: Client):
    response = client.get("/")
    return response.wsgi_request.user if response.wsgi_request.user.is_authenticated else None


@pytest.mark.django_db
def test_a_reader_signs_in_on_another_device_with_a_code_and_sees_their_meter(smtp_server):
    user = factories.reader(email="reader@example.org")
    factories.use_meter(user, count=2)
    device = Client()

    assert _request_code(device, "reader@example.org").status_code == 302
    _confirm(device, _code(smtp_server.wait_for(1)[0]))

    assert _signed_in(device) == user
    article = factories.gated_article(factories.marker())
    assert device.get(article.url).access_decision.meter_remaining == 1


@pytest.mark.django_db
def test_signing_in_gives_a_new_session_and_signing_out_ends_it(smtp_server):
    factories.reader(email="reader@example.org")
    device = Client()
    device.get("/")
    _request_code(device, "reader@example.org")
    before = device.session.session_key

    _confirm(device, _code(smtp_server.wait_for(1)[0]))
    after = device.session.session_key
    assert after != before

    stolen = Client()
    stolen.cookies["sessionid"] = after
    assert _signed_in(stolen) is not None
    device.post(reverse("account_logout"))
    assert _signed_in(device) is None
    assert _signed_in(stolen) is None


@pytest.mark.django_db
def test_a_code_works_once(smtp_server):
    factories.reader(email="reader@example.org")
    device = Client()
    _request_code(device, "reader@example.org")
    code = _code(smtp_server.wait_for(1)[0])
    _confirm(device, code)
    device.post(reverse("account_logout"))

    response = _confirm(device, code)

    assert response.status_code == 302
    assert _signed_in(device) is None


@pytest.mark.django_db
def test_a_code_expires_after_ten_minutes(smtp_server):
    factories.reader(email="reader@example.org")
    device = Client()
    _request_code(device, "reader@example.org")
    code = _code(smtp_server.wait_for(1)[0])

    with time_machine.travel(dt.timedelta(minutes=11)):
        _confirm(device, code)
        assert _signed_in(device) is None


@pytest.mark.django_db
def test_a_code_allows_a_few_wrong_attempts_only(smtp_server):
    factories.reader(email="reader@example.org")
    device = Client()
    _request_code(device, "reader@example.org")
    code = _code(smtp_server.wait_for(1)[0])

    for attempt in range(5):
        _confirm(device, f"WRNG-000{attempt}")
    _confirm(device, code)

    assert _signed_in(device) is None


@pytest.mark.django_db
def test_asking_for_a_code_for_an_unknown_address_looks_the_same_and_creates_nothing(smtp_server):
    factories.reader(email="known@example.org")
    known, unknown = Client(), Client()

    known_response = _request_code(known, "known@example.org")
    unknown_response = _request_code(unknown, "unknown@example.org")

    assert known_response.status_code == unknown_response.status_code == 302
    assert known_response["Location"] == unknown_response["Location"]
    assert not User.objects.filter(email="unknown@example.org").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_submissions_of_one_code_sign_in_once(smtp_server):
    if connection.vendor != "postgresql":
        pytest.skip("simultaneous requests are tested on PostgreSQL (SQLite runs one writer at a time)")
    factories.reader(email="reader@example.org")
    device = Client()
    _request_code(device, "reader@example.org")
    code = _code(smtp_server.wait_for(1)[0])
    cookie = device.cookies["sessionid"].value
    barrier = threading.Barrier(2)
    sessions: list[str | None] = [None, None]

    def submit(index: int) -> None:
        client = Client()
        client.cookies["sessionid"] = cookie
        try:
            barrier.wait(timeout=5)
            _confirm(client, code)
            sessions[index] = client.cookies["sessionid"].value if _signed_in(client) else None
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sum(1 for session in sessions if session) == 1, sessions
