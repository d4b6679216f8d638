"""Kept pages answered before Django's request handling (masthead.articles.early).

An early answer must be the answer the whole stack gives — same body, same
headers, a CSRF cookie and token Django accepts, the same access decision —
and must step aside whenever the stack has something to add for this reader.
Each test keeps a page by reading it through the whole stack (Django's test
client), then sends the same request, with the same cookies, to the WSGI
application the servers run.
"""

from contextlib import contextmanager
from http.cookies import SimpleCookie

import pytest
from django.core import signals
from django.db import close_old_connections
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.test import Client
from wagtail.models import Site

from masthead.access.enums import Reason
from masthead.access.models import AccessSettings
from masthead.access.tests import factories
from masthead.articles import early, serving
from masthead.core import csrf
from masthead.core.models import PublicationSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_settings():
    # The site's settings rows are made on first use, and that raises the content version: make them first.
    site = Site.objects.get(is_default_site=True)
    AccessSettings.for_site(site)
    PublicationSettings.for_site(site)


def _signed_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def _environ(client: Client, url: str, **extra) -> dict:
    path, _, query = url.partition("?")
    return client._base_environ(PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD="GET", **extra)


@contextmanager
def _connection_kept():
    """As Django's test client does around a request: the test's transaction outlives the request signals."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


def _early(client: Client, url: str, **extra) -> early.EarlyAnswer | None:
    """The early answer to this client's GET of `url`, with its cookies; its CSRF cookie, if any, is kept."""
    with _connection_kept():
        answer = early.answer_for(_environ(client, url, **extra))
    if answer is not None:
        for name, value in answer.headers:
            if name == "Set-Cookie":
                client.cookies.load(value)
    return answer


def _kept(client: Client, url: str, **extra):
    """Read a page twice through the whole stack: the first request renders and keeps it."""
    client.get(url, **extra)
    return client.get(url, **extra)


def _cookie(header_value: str):
    return next(iter(SimpleCookie(header_value).values()))


def _same_as_the_stack(answer: early.EarlyAnswer, stacked) -> None:
    headers = dict(answer.headers)
    cookies = [value for name, value in answer.headers if name == "Set-Cookie"]
    headers.pop("Set-Cookie", None)
    assert headers == dict(stacked.items())
    # The body differs only in the CSRF token's random mask (same length, same secret).
    assert len(answer.body) == len(stacked.content)
    assert answer.body.split(b"csrfmiddlewaretoken")[0] == stacked.content.split(b"csrfmiddlewaretoken")[0]
    assert [_cookie(value).key for value in cookies] == list(stacked.cookies)
    for value in cookies:
        ours, theirs = _cookie(value), stacked.cookies[_cookie(value).key]
        for attribute in ("max-age", "path", "domain", "secure", "httponly", "samesite"):
            assert ours[attribute] == theirs[attribute], attribute
        assert ours["expires"][:-12] == theirs["expires"][:-12]  # the same day; the clock moved on


def _readers():
    return {
        "anonymous": Client,
        "reader within quota": lambda: _signed_in(factories.reader()),
        "subscriber": lambda: _signed_in(factories.subscriber()),
    }


@pytest.mark.parametrize("who", list(_readers()))
@pytest.mark.parametrize("free", [False, True], ids=["gated", "free"])
def test_an_early_answer_is_the_answer_of_the_whole_stack(who, free):
    secret = factories.marker()
    article = factories.gated_article(secret, free_for_everyone=free)
    client = _readers()[who]()
    stacked = _kept(client, article.url)
    answer = _early(client, article.url)
    assert answer is not None
    _same_as_the_stack(answer, stacked)
    assert answer.decision == stacked.access_decision
    assert (secret in answer.body.decode()) == (secret in stacked.content.decode()) == (free or who == "subscriber")


def test_over_https_the_early_answer_carries_the_stacks_security_headers(settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.CSRF_COOKIE_SECURE = True
    article = factories.gated_article(factories.marker())
    client = _signed_in(factories.subscriber())
    stacked = _kept(client, article.url, secure=True)
    answer = _early(client, article.url, **{"wsgi.url_scheme": "https", "SERVER_PORT": "443"})
    assert answer is not None
    _same_as_the_stack(answer, stacked)
    assert dict(answer.headers)["Strict-Transport-Security"] == "max-age=3600"
    assert _cookie(dict(answer.headers)["Set-Cookie"])["secure"]


def test_a_kept_front_page_is_answered_early_for_anonymous_and_signed_in_readers():
    from masthead.articles.tests.factories import make_article

    make_article(title="A headline for the front page")
    for client, signed_in in ((Client(), False), (_signed_in(factories.reader()), True)):
        stacked = _kept(client, "/")
        answer = _early(client, "/")
        assert answer is not None and answer.decision is None
        _same_as_the_stack(answer, stacked)
        assert "A headline for the front page" in answer.body.decode()
        assert ("Sign out" in answer.body.decode()) == signed_in


def test_a_token_from_an_early_answer_passes_djangos_csrf_check():
    article = factories.gated_article(factories.marker())
    client = _signed_in(factories.subscriber(), enforce_csrf_checks=True)
    _kept(client, article.url)
    client.cookies.pop("csrftoken")  # a first visit: the early answer makes the secret and sets its cookie
    answer = _early(client, article.url)
    assert answer is not None and "csrftoken" in client.cookies
    token = answer.body.decode().split('name="csrfmiddlewaretoken" value="')[-1].split('"')[0]
    assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value
    gift_url = f"/access/gifts/new/{article.pk}/"
    altered = token[:-1] + ("y" if token.endswith("x") else "x")  # another last character, whatever it was
    assert client.post(gift_url, {"csrfmiddlewaretoken": altered}).status_code == 403
    assert client.post(gift_url, {"csrfmiddlewaretoken": token}).status_code in (302, 303)


def test_stepping_aside_leaves_the_request_as_django_would_have_received_it():
    article = factories.gated_article(factories.marker())
    client = _signed_in(factories.reader())
    _kept(client, article.url)
    client.cookies["csrftoken"] = "not a valid secret!"
    environ = _environ(client, article.url)
    before = dict(environ)
    client.session.delete()  # the stack has a cookie to delete: the early answer steps aside
    with _connection_kept():
        assert early.answer_for(environ) is None
    assert environ == before


def test_a_malformed_csrf_cookie_is_replaced_as_django_replaces_it():
    article = factories.gated_article(factories.marker())
    client = Client()
    _kept(client, article.url)
    client.cookies["csrftoken"] = "not a valid secret!"
    answer = _early(client, article.url)
    assert answer is not None
    secret = client.cookies["csrftoken"].value
    assert len(secret) == 32 and set(secret) <= set(CSRF_ALLOWED_CHARS)


def test_a_reader_signed_out_elsewhere_is_answered_by_the_stack_which_shows_the_teaser():
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _signed_in(factories.subscriber())
    _kept(client, article.url)
    assert secret in _early(client, article.url).body.decode()
    client.session.delete()  # signing out on another device ends this session in the shared store
    assert _early(client, article.url) is None  # the stack deletes the session cookie
    response = client.get(article.url)
    assert secret not in response.content.decode()
    assert response.access_decision.reason == Reason.ANONYMOUS


def test_a_session_that_no_longer_matches_its_user_is_answered_by_the_stack():
    secret = factories.marker()
    article = factories.gated_article(secret)
    user = factories.subscriber()
    client = _signed_in(user)
    _kept(client, article.url)
    user.set_password("a new password for this reader")  # changes the session auth hash
    user.save()
    assert _early(client, article.url) is None  # Django's get_user flushes the session: the stack says so
    assert secret not in client.get(article.url).content.decode()


def test_a_reader_with_a_message_waiting_is_answered_by_the_stack():
    article = factories.gated_article(factories.marker())
    client = _signed_in(factories.reader())
    _kept(client, article.url)
    response = client.post(f"/access/unlock/{article.pk}/")  # leaves "This article is yours to read"
    assert _early(client, response["Location"]) is None
    assert "This article is yours to read" in client.get(response["Location"]).content.decode()


def test_a_query_string_a_head_or_a_page_not_kept_is_never_answered_early():
    article = factories.gated_article(factories.marker())
    client = _signed_in(factories.subscriber())
    _kept(client, article.url)
    assert _early(client, article.url + "?gift=not-a-real-gift") is None
    with _connection_kept():
        assert early.answer_for({**_environ(client, article.url), "REQUEST_METHOD": "HEAD"}) is None
    assert _early(client, "/accounts/") is None


def test_an_unknown_middleware_or_request_signal_receiver_turns_early_answers_off(settings):
    article = factories.gated_article(factories.marker(), free_for_everyone=True)
    client = Client()
    _kept(client, article.url)
    assert _early(client, article.url) is not None

    def count_requests(**kwargs):
        pass

    signals.request_finished.connect(count_requests)
    try:
        early.enabled.cache_clear()
        assert _early(client, article.url) is None
    finally:
        signals.request_finished.disconnect(count_requests)
        early.enabled.cache_clear()
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "masthead.articles.tests.test_early_answers.Stamp"]
    assert _early(client, article.url) is None
    assert not early.enabled()


def test_settings_under_which_the_stack_does_more_turn_early_answers_off(settings):
    article = factories.gated_article(factories.marker(), free_for_everyone=True)
    client = Client()
    _kept(client, article.url)
    settings.SECURE_SSL_REDIRECT = True
    assert _early(client, article.url) is None  # the stack redirects to HTTPS
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_SAVE_EVERY_REQUEST = True
    assert _early(client, article.url) is None


class Stamp:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Stamp"] = "seen"
        return response


def _call(application, environ) -> tuple[str, dict, bytes]:
    seen = []
    with _connection_kept():
        response = application(environ, lambda status, headers: seen.append((status, dict(headers))))
        body = b"".join(response)
        if hasattr(response, "close"):
            response.close()
    return seen[0][0], seen[0][1], body


def test_the_handler_sends_early_answers_and_hands_everything_else_to_django(monkeypatch):
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _signed_in(factories.subscriber())
    _kept(client, article.url)
    handler = early.Handler()
    status, headers, body = _call(handler, _environ(client, article.url))
    assert status == "200 OK" and secret.encode() in body and headers["Content-Length"] == str(len(body))
    status, _, body = _call(handler, _environ(client, "/accounts/"))  # not kept: Django answers (redirects)
    assert status.startswith("302") and secret.encode() not in body
    status, _, _ = _call(handler, _environ(client, article.url, HTTP_HOST="evil.example"))
    assert status.startswith("400")  # ALLOWED_HOSTS, as Django checks it

    def broken(request):
        raise RuntimeError("the shared cache is down")

    monkeypatch.setattr(serving, "kept_answer", broken)
    status, _, body = _call(handler, _environ(client, article.url))  # the stack answers instead
    assert status.startswith("200") and secret.encode() in body


def test_a_host_once_accepted_is_checked_again_when_allowed_hosts_change(settings):
    """Hosts are checked once per Host header value, and again whenever the settings that decide change."""
    article = factories.gated_article(factories.marker())
    client = _signed_in(factories.subscriber())
    _kept(client, article.url)
    handler = early.Handler()
    status, _, _ = _call(handler, _environ(client, article.url))
    assert status == "200 OK"
    status, _, _ = _call(handler, _environ(client, article.url, HTTP_HOST="evil.example"))
    assert status.startswith("400")
    settings.ALLOWED_HOSTS = ["elsewhere.example"]
    status, _, _ = _call(handler, _environ(client, article.url))  # the host accepted before is refused now
    assert status.startswith("400")


def test_a_route_and_rendering_kept_by_another_process_are_used_without_routing_again():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    secret = factories.marker()
    article = factories.gated_article(secret)
    client = _signed_in(factories.subscriber())
    _kept(client, article.url)
    serving.forget()  # this process forgets; the shared cache still holds what it kept
    assert _early(client, article.url) is None  # not kept in this process: the stack answers
    with CaptureQueriesContext(connection) as queries:
        response = client.get(article.url)
    assert secret in response.content.decode()
    assert not [q["sql"] for q in queries.captured_queries if "wagtailcore_page" in q["sql"]]
    assert _early(client, article.url) is not None


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
