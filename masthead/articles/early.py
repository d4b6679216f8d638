"""Early answers: kept pages sent before Django's request handling.

A kept article or page (`masthead.articles.serving`) is filled in for a reader
in about a hundred microseconds. Django's handler around it — request signals,
eleven middleware, URL resolving, the response object and its hooks — costs
twice that again. So `Handler`, the WSGI application, answers a GET of a URL
this process has kept itself, before the handler:

- the request is Django's `WSGIRequest` (host checked against ALLOWED_HOSTS,
  scheme as the proxy settings say);
- the session is the configured engine's `SessionStore`, the CSRF cookie is
  read and checked by Django's `CsrfViewMiddleware.process_request`, the user
  comes from `django.contrib.auth.get_user` (which verifies the session's
  auth hash): exactly what the session, CSRF and authentication middleware do;
- `serving.kept_answer` takes the same access decision and uses the same kept
  renderings as the view;
- the headers are those the stack's response hooks (X-Frame-Options, CSRF,
  common, session, security) put on such a page, learned by running those
  hooks once on a stand-in response per kind of page; the CSRF cookie is made
  by Django's own code once a second and filled in with this reader's secret.

An early answer sends no request signals: the receivers it allows
(`KNOWN_RECEIVERS`) only reset per-request state and close database
connections that are too old or broken, which Django's handler does at the
start of the next request it handles (an early answer seldom queries at all).

Whenever the stack would do more than that, the request goes to Django as
usual, which answers it from the same kept page: a session to save or a
cookie to delete (a changed or ended session), a redirect to HTTPS, a message
or anything else of the reader's own on the page, a HEAD, a query string,
any failure. Middleware it does not know, receivers of the request signals it
does not know, or settings that make the stack do more for every GET
(PREPEND_WWW, DISALLOWED_USER_AGENTS, CSRF_USE_SESSIONS,
SESSION_SAVE_EVERY_REQUEST) turn early answers off, so an app added later is
never bypassed. Tests compare every early answer with the stack's, header by
header.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import auth
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from masthead.access.rendering import apply_cache_policy, shared_cache_allowed

from . import serving

if TYPE_CHECKING:
    from masthead.access.decisions import Decision

logger = logging.getLogger(__name__)

# The middleware whose work on a kept page an early answer does (request hooks here, response hooks learned) ...
DONE = (
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
# ... and those that have nothing to do on one: static files only; messages (a reader with one waiting is
# never answered from a kept page); allauth's (acts on its own views); Wagtail's redirects (acts on 404s);
# the kept site (a kept page reads no site: its route names the site's id).
SKIPPED = (
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "masthead.core.sites.KeptSiteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
)
# Receivers of request_started / request_finished an early answer may do without (see above).
KNOWN_RECEIVERS = {"reset_queries", "close_old_connections", "close_caches", "reset_urlconf"}
_CONTENT_TYPE = "text/html; charset=utf-8"
_SECRET_PLACEHOLDER = "earlyanswercsrfsecretplaceholder"  # noqa: S105  (32 letters, as a CSRF secret; no secret)


@dataclass(frozen=True)
class EarlyAnswer:
    body: bytes
    headers: list[tuple[str, str]]
    decision: Decision | None  # the access decision on an article page (for tests and logs)


def _receiver_names(signal) -> set[str]:
    names = set()
    for receiver in signal.receivers:
        target = receiver[1]() if callable(receiver[1]) else None
        names.add(getattr(target, "__name__", repr(target)))
    return names


@functools.cache
def enabled() -> bool:
    """Whether early answers do all the stack would do for a kept page (worked out once per settings)."""
    unknown = [path for path in settings.MIDDLEWARE if path not in DONE and path not in SKIPPED]
    if unknown:
        logger.warning("Kept pages are answered through the whole stack: unknown middleware %s", ", ".join(unknown))
        return False
    receivers = _receiver_names(signals.request_started) | _receiver_names(signals.request_finished)
    if receivers - KNOWN_RECEIVERS:
        logger.warning("Kept pages are answered through the whole stack: request signal receivers %s", receivers)
        return False
    more_for_every_get = (
        settings.PREPEND_WWW,
        settings.DISALLOWED_USER_AGENTS,
        settings.CSRF_USE_SESSIONS,
        settings.SESSION_SAVE_EVERY_REQUEST,
    )
    return serving.fast_route_enabled() and not any(more_for_every_get)


@functools.cache
def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


@functools.cache
def _middleware(path: str):
    def unused(request: HttpRequest) -> HttpResponse:
        raise AssertionError("an early answer called a middleware's get_response")

    return import_string(path)(unused)


def _response_hooks() -> Iterable[Callable[[HttpRequest, HttpResponse], HttpResponse]]:
    """The response hooks of the middleware an early answer stands in for, in the order the stack runs them."""
    for path in reversed(settings.MIDDLEWARE):
        if path in DONE and hasattr(_middleware(path), "process_response"):
            yield _middleware(path).process_response


# (secure, shared) -> headers; `shared` is None for a page the same for every reader.
_headers: dict[tuple[bool, bool | None], tuple[tuple[str, str], ...]] = {}


def _learned_headers(request: WSGIRequest, kept: serving.KeptAnswer) -> tuple[tuple[str, str], ...]:
    """The headers the stack's response hooks put on this kind of kept page (Content-Type and -Length aside).

    Learned, once per kind, by running those hooks on a stand-in response for a stand-in request: the same
    scheme, a session read but not changed, no CSRF cookie to send (`_csrf_cookie` makes that one).
    """
    shared = None if kept.decision is None else shared_cache_allowed(kept.decision, signed_in=kept.signed_in)
    key = (request.is_secure(), shared)
    found = _headers.get(key)
    if found is not None:
        return found
    response = HttpResponse(b"", content_type=_CONTENT_TYPE)
    if kept.decision is not None:
        apply_cache_policy(response, kept.decision, signed_in=kept.signed_in)
    # The request's environ is its META, which now holds the CSRF middleware's flags: leave those out.
    environ = {name: value for name, value in request.environ.items() if not name.startswith("CSRF_")}
    probe = WSGIRequest({**environ, "HTTP_COOKIE": ""})
    probe.session = _session_store()(None)
    probe.session.get("_")  # read, as every early answer reads it: the session middleware adds Vary: Cookie
    for hook in _response_hooks():
        response = hook(probe, response)
    if response.cookies or response.status_code != 200:
        raise RuntimeError("the stack's response hooks did more than add headers to a kept page")
    found = _headers[key] = tuple(
        (name, value) for name, value in response.items() if name not in ("Content-Type", "Content-Length")
    )
    return found


_cookie_template: tuple[int, str] | None = None


def _csrf_cookie(secret: str) -> str:
    """The Set-Cookie value Django's CSRF middleware sends for `secret`, made by its own code once a second."""
    global _cookie_template
    second = int(time.time())
    kept = _cookie_template
    if kept is None or kept[0] != second:
        probe = HttpRequest()
        probe.META = {"CSRF_COOKIE": _SECRET_PLACEHOLDER, "CSRF_COOKIE_NEEDS_UPDATE": True}
        response = _middleware("django.middleware.csrf.CsrfViewMiddleware").process_response(probe, HttpResponse())
        kept = _cookie_template = (second, response.cookies[settings.CSRF_COOKIE_NAME].OutputString())
    # A secret is 32 letters and digits (the CSRF middleware replaces any other cookie value with a new one).
    return kept[1].replace(_SECRET_PLACEHOLDER, secret)


def _answer(request: WSGIRequest) -> EarlyAnswer | None:
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return None  # the security middleware redirects to HTTPS
    session_cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    request.session = _session_store()(session_cookie)
    _middleware("django.middleware.csrf.CsrfViewMiddleware").process_request(request)
    request.user = auth.get_user(request)
    if request.session.modified or (session_cookie is not None and request.session.is_empty()):
        return None  # the session middleware has a session to save or a cookie to delete
    kept = serving.kept_answer(request)
    if kept is None:
        return None
    headers = [
        ("Content-Type", _CONTENT_TYPE),
        *_learned_headers(request, kept),
        ("Content-Length", str(len(kept.body))),
    ]
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        headers.append(("Set-Cookie", _csrf_cookie(request.META["CSRF_COOKIE"])))
    return EarlyAnswer(kept.body, headers, kept.decision)


def answer_for(environ: dict) -> EarlyAnswer | None:
    """The early answer to this WSGI request, or None: Django's handler answers it."""
    if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING") or not enabled():
        return None
    # A copy: the CSRF middleware writes its flags into META, and Django reads this environ again if we step aside.
    request = WSGIRequest(dict(environ))
    try:
        if not serving.may_answer_early(request):
            return None
    except DisallowedHost:
        return None  # Django answers 400
    try:
        return _answer(request)
    except Exception:
        # A broken database connection, say: Django's handler closes it first (request_started), then answers.
        logger.exception("An early answer failed; the whole stack answers instead")
        return None


class Handler(WSGIHandler):
    """Django's WSGI handler, with kept pages answered first (`answer_for`)."""

    def __call__(self, environ, start_response):
        answer = answer_for(environ)
        if answer is None:
            return super().__call__(environ, start_response)
        start_response("200 OK", answer.headers)
        return [answer.body]


def _forget(**kwargs) -> None:
    global _cookie_template
    enabled.cache_clear()
    _session_store.cache_clear()
    _middleware.cache_clear()
    _headers.clear()
    _cookie_template = None


setting_changed.connect(_forget)
