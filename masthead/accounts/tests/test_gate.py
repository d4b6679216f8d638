"""The registration gate: one email address, and the reader keeps reading; a code confirms it."""

import re
import statistics
import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from masthead.access.enums import Reason
from masthead.access.tests import factories
from masthead.core.testing.smtp import html_of, text_of

pytestmark = pytest.mark.django_db
User = get_user_model()


def _gate(client: Client, article, email: str, **extra):
    return client.post(reverse("gate:submit", args=(article.pk,)), {"email": email, "website": "", **extra})


def _code_from(message) -> str:
    match = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", text_of(message))
    assert match, text_of(message)
    return match.group(1)


def _confirm(client: Client, code: str, article):
    return client.post(f"{reverse('account_confirm_login_code')}?next={article.url}", {"code": code})


def test_a_new_reader_gives_an_email_and_reads_the_whole_article_at_once(smtp_server):
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = Client()

    response = _gate(client, article, "New.Reader@Example.org")

    assert response.status_code == 303
    assert response["Location"] == article.url
    page = client.get(article.url)
    assert page.access_decision.reason == Reason.REGISTRATION_ARTICLE
    assert secret in page.content.decode()
    assert "new.reader@example.org" in page.content.decode()  # the code box says where the code went
    user = User.objects.get(email="new.reader@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "new.reader@example.org"
    assert html_of(message), "the email has an HTML part"


def test_entering_the_emailed_code_confirms_the_address_signs_in_and_starts_the_meter(smtp_server):
    article = factories.gated_article(factories.marker())
    client = Client()
    _gate(client, article, "reader@example.org")
    code = _code_from(smtp_server.wait_for(1)[0])

    response = _confirm(client, code, article)

    assert response.status_code == 302
    assert response["Location"] == article.url
    user = User.objects.get(email="reader@example.org")
    assert EmailAddress.objects.get(user=user).verified
    page = client.get(article.url)
    assert page.wsgi_request.user == user
    assert page.access_decision.full
    other_device = Client()
    other_device.force_login(user)
    assert other_device.get(article.url).access_decision.reason == Reason.METER_UNLOCKED
    other = factories.gated_article(factories.marker())
    assert client.get(other.url).access_decision.meter_remaining == 3


def test_the_gate_answers_the_same_whether_or_not_the_address_has_an_account(smtp_server):
    article = factories.gated_article(factories.marker())
    factories.reader(email="known@example.org")
    factories.reader(email="pending@example.org", verified=False)

    def answer(email: str) -> tuple:
        client = Client()
        response = _gate(client, article, email)
        followed = client.get(response["Location"])
        text = followed.content.decode().replace(email, "EMAIL")
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
        return response.status_code, response["Location"], sorted(response.cookies), text

    new, known, pending = answer("stranger@example.org"), answer("known@example.org"), answer("pending@example.org")

    assert new == known == pending
    assert len(smtp_server.wait_for(3)) == 3


def test_the_gate_takes_about_as_long_for_known_and_unknown_addresses(smtp_server):
    article = factories.gated_article(factories.marker())
    known = [factories.reader(email=f"known{n}@example.org").email for n in range(7)]

    def timed(email: str) -> float:
        client = Client()
        started = time.perf_counter()
        _gate(client, article, email)
        return time.perf_counter() - started

    _gate(Client(), article, "warm-up@example.org")
    unknown_times = [timed(f"unknown{n}@example.org") for n in range(7)]
    known_times = [timed(email) for email in known]

    difference = abs(statistics.median(unknown_times) - statistics.median(known_times))
    assert difference < 0.05, (unknown_times, known_times)


def test_an_existing_reader_on_a_new_device_gets_a_code_and_is_signed_in_with_it(smtp_server):
    user = factories.reader(email="regular@example.org")
    article = factories.gated_article(factories.marker())
    client = Client()
    _gate(client, article, "regular@example.org")

    _confirm(client, _code_from(smtp_server.wait_for(1)[0]), article)

    assert client.get(article.url).wsgi_request.user == user


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not-an-address",
        "two@@example.org",
        "victim@example.org\r\nBcc: attacker@example.net",
        "victim@example.org\nBcc: attacker@example.net",
        "a" * 300 + "@example.org",
        "x@" + "b" * 10_000 + ".org",
        "<script>alert(1)</script>@example.org",
        "\x00@example.org",
    ],
)
def test_a_bad_address_gets_a_clear_message_and_nothing_is_sent_or_created(smtp_server, email):
    article = factories.gated_article(factories.marker())

    response = _gate(Client(), article, email)

    assert response.status_code == 400
    html = response.content.decode()
    assert "email address" in html.lower()
    assert "<script>alert(1)</script>" not in html
    assert not User.objects.exists()
    time.sleep(0.2)
    assert smtp_server.messages == []


def test_a_filled_in_trap_field_looks_the_same_but_does_nothing(smtp_server):
    article = factories.gated_article(factories.marker())
    response = Client().post(
        reverse("gate:submit", args=(article.pk,)), {"email": "bot@example.org", "website": "http://spam.example"}
    )
    assert response.status_code == 303
    assert not User.objects.exists()
    time.sleep(0.2)
    assert smtp_server.messages == []


def test_the_gate_refuses_a_post_without_a_csrf_token():
    article = factories.gated_article(factories.marker())
    client = Client(enforce_csrf_checks=True)
    response = _gate(client, article, "reader@example.org")
    assert response.status_code == 403
    assert not User.objects.exists()


def test_the_gate_accepts_a_post_with_the_pages_csrf_token(smtp_server):
    article = factories.gated_article(factories.marker())
    client = Client(enforce_csrf_checks=True)
    page = client.get(article.url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = _gate(client, article, "reader@example.org", csrfmiddlewaretoken=token)
    assert response.status_code == 303


def test_a_get_on_the_gate_changes_nothing():
    article = factories.gated_article(factories.marker())
    response = Client().get(reverse("gate:submit", args=(article.pk,)), {"email": "reader@example.org"})
    assert response.status_code == 405
    assert not User.objects.exists()


def test_the_gate_of_an_unknown_or_unpublished_article_is_a_404():
    draft = factories.gated_article(factories.marker(), live=False)
    assert _gate(Client(), draft, "reader@example.org").status_code == 404
    assert Client().post(reverse("gate:submit", args=(999999,)), {"email": "a@example.org"}).status_code == 404


def test_the_gate_limits_how_often_one_address_is_written_to(smtp_server):
    article = factories.gated_article(factories.marker())
    answers = [_gate(Client(), article, "target@example.org").status_code for _ in range(4)]
    assert answers == [303, 303, 303, 429]
    time.sleep(0.2)
    assert len(smtp_server.messages) == 3


def test_the_gate_limits_how_often_one_network_asks(smtp_server):
    article = factories.gated_article(factories.marker())
    answers = [_gate(Client(), article, f"reader{n}@example.org").status_code for n in range(21)]
    assert answers.count(429) == 1 and answers[-1] == 429


def test_a_signed_in_reader_who_posts_to_the_gate_just_goes_back_to_the_article(smtp_server):
    user = factories.reader()
    article = factories.gated_article(factories.marker())
    client = Client()
    client.force_login(user)
    response = _gate(client, article, "someone.else@example.org")
    assert response.status_code == 302
    assert not User.objects.filter(email="someone.else@example.org").exists()
