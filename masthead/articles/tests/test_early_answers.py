"""Kept pages answered before the rest of the middleware stack (masthead.articles.middleware).

An early answer must be the answer the whole stack gives — same headers, a
CSRF token Django accepts, the same access decision — and must step aside
whenever the stack has something to add for this reader.
"""

import re

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client
from wagtail.models import Site

from masthead.access.enums import Reason
from masthead.access.models import AccessSettings
from masthead.access.tests import factories
from masthead.articles import middleware, serving
from masthead.core import csrf
from masthead.core.models import PublicationSettings

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SAME_FOR_BOTH = ("Content-Type", "Vary", "Cache-Control", "X-Frame-Options", "X-Content-Type-Options")


@pytest.fixture
def answers(monkeypatch):
    """What each early attempt answered: a response, or None when the whole stack took over."""
    # The site's settings rows are made on first use, and that raises the content version: make them first.
    site = Site.objects.get(is_default_site=True)
    AccessSettings.for_site(site)
    PublicationSettings.for_site(site)
    seen: list = []
    original = serving.answer_early

    def spy(request):
        response = original(request)
        seen.append(response)
        return response

    monkeypatch.setattr(middleware.serving, "answer_early", spy)
    return seen


def _signed_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def _kept_for(client: Client, url: str):
    """Read a page twice: the first request renders and keeps it, the second is answered from it."""
    client.get(url)
    return client.get(url)


def test_a_kept_article_is_answered_early_with_the_headers_and_decision_of_the_whole_stack(answers):
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _signed_in(factories.subscriber())
    first = client.get(article.url)  # rendered down the whole stack, then kept
    second = client.get(article.url)
    assert [response is not None for response in answers] == [True]  # only the second was tried early
    assert secret in second.content.decode()
    assert second.access_decision.reason == Reason.COMPLIMENTARY
    for header in SAME_FOR_BOTH:
        assert second.headers.get(header) == first.headers.get(header), header
    assert "private" in second.headers["Cache-Control"]
    assert second.cookies["csrftoken"].value  # the form's token comes with its cookie


def test_a_token_from_an_early_answer_passes_djangos_csrf_check(answers):
    article = factories.gated_article(factories.marker())
    client = _signed_in(factories.subscriber(), enforce_csrf_checks=True)
    html = _kept_for(client, article.url).content.decode()
    assert answers and answers[-1] is not None
    token = TOKEN.findall(html)[-1]
    gift_url = f"/access/gifts/new/{article.pk}/"
    assert client.post(gift_url, {"csrfmiddlewaretoken": token[:-1] + "x"}).status_code == 403
    assert client.post(gift_url, {"csrfmiddlewaretoken": token}).status_code in (302, 303)


def test_a_reader_signed_out_elsewhere_gets_the_teaser_at_once(answers):
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _signed_in(factories.subscriber())
    assert secret in _kept_for(client, article.url).content.decode()
    # Signing out on another device ends this session in the shared store.
    client.session.delete()
    response = client.get(article.url)
    assert secret not in response.content.decode()
    assert response.access_decision.reason == Reason.ANONYMOUS
    assert "Sign out" not in response.content.decode()


def test_a_reader_with_a_message_waiting_is_answered_by_the_whole_stack(answers):
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _signed_in(factories.reader())
    _kept_for(client, article.url)
    answers.clear()
    response = client.post(f"/access/unlock/{article.pk}/")  # leaves "This article is yours to read"
    page = client.get(response["Location"])
    assert "This article is yours to read" in page.content.decode()
    assert answers == [None]  # tried, stepped aside: the message is this reader's alone


def test_a_kept_front_page_is_answered_early_for_anonymous_and_signed_in_readers(answers):
    from masthead.articles.tests.factories import make_article

    make_article(title="A headline for the front page")
    anonymous, signed_in = Client(), _signed_in(factories.reader())
    for client in (anonymous, signed_in):
        client.get("/")
    one, two = anonymous.get("/"), signed_in.get("/")
    assert [response is not None for response in answers][-2:] == [True, True]
    assert "Sign out" not in one.content.decode() and "Sign out" in two.content.decode()
    assert "A headline for the front page" in one.content.decode()


def test_an_unknown_middleware_below_turns_early_answers_off(settings, answers):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "masthead.articles.tests.test_early_answers.Stamp"]
    article = factories.gated_article(factories.marker(), free_for_everyone=True)
    response = _kept_for(Client(), article.url)
    assert response.headers["X-Stamp"] == "seen"  # the added middleware ran on a kept page
    assert answers == []
    assert middleware._hooks(settings.MIDDLEWARE) is None


def test_a_request_with_a_query_string_is_never_answered_from_a_kept_article(answers):
    secret = factories.marker()
    article = factories.gated_article(secret)
    _kept_for(_signed_in(factories.subscriber()), article.url)
    answers.clear()
    Client().get(article.url + "?gift=not-a-real-gift")
    assert answers == []


class Stamp:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Stamp"] = "seen"
        return response


# --- The CSRF token, made fast -----------------------------------------------------------------


def test_a_masked_token_unmasks_to_its_secret_with_djangos_own_code():
    secret = csrf.random_string()
    for _ in range(50):
        token = csrf.mask(secret)
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret


def test_masks_differ_and_draw_every_allowed_character():
    secret = csrf.random_string()
    tokens = {csrf.mask(secret) for _ in range(300)}
    assert len(tokens) == 300
    drawn = "".join(token[:32] for token in tokens)
    assert set(drawn) == set(CSRF_ALLOWED_CHARS)
    # Uniform draw: no character more than twice as frequent as the average (9,600 draws, 155 each on average).
    assert max(drawn.count(char) for char in CSRF_ALLOWED_CHARS) < 2 * len(drawn) / len(CSRF_ALLOWED_CHARS)


def test_get_token_flags_the_request_as_djangos_does(rf):
    request = rf.get("/")
    token = csrf.get_token(request)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    again = csrf.get_token(request)
    assert again != token and _unmask_cipher_token(again) == request.META["CSRF_COOKIE"]


def test_a_route_and_rendering_kept_by_another_process_are_used_without_routing_again(answers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _signed_in(factories.subscriber())
    _kept_for(client, article.url)
    serving.forget()  # this process forgets; the shared cache still holds what it kept
    with CaptureQueriesContext(connection) as queries:
        response = client.get(article.url)
    assert secret in response.content.decode()
    assert not [q["sql"] for q in queries.captured_queries if "wagtailcore_page" in q["sql"]]
