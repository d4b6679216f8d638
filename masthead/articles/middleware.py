"""Answer kept pages before most of Django's middleware stack.

A kept article or page (`masthead.articles.serving`) costs a few hundred
microseconds to answer; walking the rest of the middleware stack and the URL
patterns to reach the view cost about as much again. `KeptPagesMiddleware`
sits right after `SecurityMiddleware` and, for a GET or HEAD of a URL whose
page this process has kept at the current content version, runs the request
and response hooks of the middleware below it that such a page needs
(sessions, CSRF, authentication, common headers, X-Frame-Options) itself, then
asks `serving.answer_early` — the same access decision and the same kept
renderings as the view. When that has no kept page for this reader, the
request goes down the whole stack as usual.

Middleware it knows a kept page does not need is skipped: WhiteNoise (static
files only), messages (a reader with a message waiting is never answered from
a kept page), allauth's (acts on its own views and 404s) and Wagtail's
redirects (acts on 404s). Any other middleware below it turns early answers
off, so an app added later is never bypassed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from . import serving

logger = logging.getLogger(__name__)

# Below this middleware: whose hooks an early answer runs, in the stack's order ...
RUN = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
# ... and which it may skip.
SKIP = (
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
)
_THIS = f"{__name__}.KeptPagesMiddleware"


def _unused(request: HttpRequest) -> HttpResponse:  # the hooks' own get_response is never called
    raise AssertionError("an early answer called a middleware's get_response")


def _hooks(middleware: list[str]) -> list | None:
    """The middleware instances whose hooks an early answer runs, or None when one below is unknown."""
    below = middleware[middleware.index(_THIS) + 1 :]
    unknown = [path for path in below if path not in RUN and path not in SKIP]
    if unknown:
        logger.warning("Kept pages are answered through the whole stack: unknown middleware %s", ", ".join(unknown))
        return None
    return [import_string(path)(_unused) for path in below if path in RUN]


class KeptPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.hooks = _hooks(list(settings.MIDDLEWARE))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.hooks is None or not serving.may_answer_early(request):
            return self.get_response(request)
        for hook in self.hooks:
            if hasattr(hook, "process_request") and hook.process_request(request) is not None:
                # A hook answers this request itself (a redirect, a refusal): the whole stack does that.
                return self.get_response(request)
        response = serving.answer_early(request)
        if response is None:
            return self.get_response(request)
        for hook in reversed(self.hooks):
            if hasattr(hook, "process_response"):
                response = hook.process_response(request, response)
        return response
