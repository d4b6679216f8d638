"""Serving article pages fast without ever caching one reader's page for another.

An article page is the same for every reader whose access decision is the
same: the same decision (full or teaser, reason, offer, free articles left),
signed in or not. So Masthead renders a page once per article and decision —
a *rendering* — with every secret of the request left out (the CSRF token is
a placeholder), keeps it, and serves it to each reader whose own decision,
taken on every request by `masthead.access`, matches. Per request, only the
reader is looked up, the decision taken and the CSRF token filled in.

Pages that show something of one reader's own — a message after an action, the
"enter your code" box, the address an unconfirmed reader gave — are rendered
for that request alone and never kept. So are requests with a query string
(gift links, anything a link may add) and previews.

Routes (the URL of a live, unrestricted article -> its id) are kept the same
way, so a kept article is served without Wagtail's routing queries. Both are
keyed on the content version (`masthead.core.content_version`): any publish,
unpublish, move, edit of a byline, tag, image or setting, or change of a view
restriction makes every worker render afresh.

Two tiers, for routes and renderings alike: a bounded memo in each process,
then the shared cache (`SERVING_CACHE_SECONDS`), so a page one process routed
and rendered is not routed and rendered again by the others.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from wagtail import hooks

from masthead.core import content_version
from masthead.core.clock import local_date
from masthead.core.conf import setting
from masthead.core.csrf import get_token
from masthead.core.memo import Memo, shared_key

if TYPE_CHECKING:
    from masthead.access.decisions import Decision

# Stands in for the CSRF token in a kept rendering; letters only, so escaping leaves it alone.
CSRF_PLACEHOLDER = "mastheadcsrftokenplaceholderxq"
_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
# Wagtail's own hooks that run before a page is served; any other hook turns the fast route off.
# The fast route serves only GET and HEAD (which every page allows) of unrestricted pages.
_KNOWN_SERVE_HOOKS = {"wagtail.wagtail_hooks.check_request_method", "wagtail.wagtail_hooks.check_view_restrictions"}


_routes = Memo(getattr(settings, "SERVING_ROUTE_MEMO_SIZE", 20_000))
_renderings = Memo(getattr(settings, "SERVING_RENDERING_MEMO_SIZE", 1024))  # about 20 KB each


def forget() -> None:
    """Drop this process's memos (tests)."""
    _accepted_hosts.clear()
    _routes.clear()
    _renderings.clear()


@dataclass(frozen=True)
class ArticleRoute:
    """What serving an article needs before its page is loaded."""

    pk: int
    site_id: int
    free_for_everyone: bool


def _hook_name(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


@functools.cache
def _only_known_serve_hooks() -> bool:
    registered = hooks.get_hooks("before_serve_page") + hooks.get_hooks("on_serve_page")
    return {_hook_name(fn) for fn in registered} <= _KNOWN_SERVE_HOOKS


def fast_route_enabled() -> bool:
    """False when an app hooks into page serving (the fast route would skip its hook), or the setting says so."""
    return setting("SERVING_FAST_ROUTE", True) and _only_known_serve_hooks()


# The hosts `request.get_host()` accepted, by the Host (or trusted X-Forwarded-Host) header that named them.
_accepted_hosts: dict[str, str] = {}
_ACCEPTED_HOSTS_KEPT = 64  # only accepted hosts are kept; a wildcard in ALLOWED_HOSTS could accept many


def _host(request: HttpRequest) -> str:
    """`request.get_host()` (which checks ALLOWED_HOSTS), worked out once per request and once per header value."""
    host = request.__dict__.get("_masthead_host")
    if host is None:
        raw = request._get_raw_host()  # type: ignore[attr-defined]  # private in the stubs
        host = _accepted_hosts.get(raw)
        if host is None:
            host = request.get_host()  # raises DisallowedHost for a host it does not accept
            if len(_accepted_hosts) < _ACCEPTED_HOSTS_KEPT:
                _accepted_hosts[raw] = host
        request.__dict__["_masthead_host"] = host
    return host


def _forget_hosts(*, setting: str, **kwargs) -> None:
    if setting in ("ALLOWED_HOSTS", "DEBUG", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT"):
        _accepted_hosts.clear()


setting_changed.connect(_forget_hosts)


def _route_key(request: HttpRequest, version: int) -> tuple:
    return ("route", version, _host(request), request.path)


def _readable_request(request: HttpRequest) -> bool:
    """A GET or HEAD outside Wagtail's preview: the only requests a kept copy may answer or come from."""
    return request.method in ("GET", "HEAD") and not getattr(request, "is_preview", False)


def _cacheable_request(request: HttpRequest) -> bool:
    return _readable_request(request) and not request.META.get("QUERY_STRING")


def route_for(request: HttpRequest) -> ArticleRoute | None:
    """The kept route of this URL, if an article was served here at this content version (by any process)."""
    if not _cacheable_request(request):
        return None
    version = content_version.current()
    if version < 0:
        return None
    key = _route_key(request, version)
    route = _routes.get(key)
    if route is None:
        route = cache.get(shared_key(f"masthead.route.v1:{version}", key))
        if route is not None:
            _routes.set(key, route)
    return route


def article_route(page) -> ArticleRoute:
    site = page.get_site()
    return ArticleRoute(pk=page.pk, site_id=site.pk if site else 0, free_for_everyone=page.free_for_everyone)


def remember_route(request: HttpRequest, page, route: ArticleRoute) -> None:
    """After Wagtail routed this URL to a live article: keep the route, unless the page is restricted.

    Nothing is kept while the fast route is off (nothing would read it) or the page has no site.
    """
    if not fast_route_enabled() or not _cacheable_request(request) or not page.live or not route.site_id:
        return
    version = content_version.current()
    if version < 0 or page.get_view_restrictions().exists():
        return
    key = _route_key(request, version)
    _routes.set(key, route)
    cache.set(shared_key(f"masthead.route.v1:{version}", key), route, getattr(settings, "SERVING_CACHE_SECONDS", 3600))


def personal_request(request: HttpRequest) -> bool:
    """Something on this page is for this request's reader alone: render it afresh and keep nothing."""
    from masthead.accounts.services import SESSION_GATE_EMAIL_KEY

    if "messages" in request.COOKIES:
        return True
    session = getattr(request, "session", None)
    if session is None:
        return True
    return bool(session.get("_messages") or session.get(SESSION_GATE_EMAIL_KEY))


def _rendering_signature(*, request: HttpRequest, article_pk: int, decision, signed_in: bool) -> tuple:
    """Everything a rendering depends on besides the content version."""
    return (
        article_pk,
        decision.full,
        decision.reason,
        decision.offer,
        decision.meter_remaining,
        decision.institution_id,
        tuple(sorted(decision.details.items())),
        signed_in,
        local_date().year,
        request.scheme,  # absolute URLs in the page (image, structured data) carry it
        _host(request),
        request.path,
    )


def _rendering_key(version: int, signature: tuple) -> str:
    return shared_key(f"masthead.rendering.v1:{version}", signature)


def _parts(html: str) -> tuple[bytes, ...]:
    """A kept page, encoded once and cut where the CSRF token goes."""
    return tuple(html.encode().split(_PLACEHOLDER_BYTES))


def _filled(request: HttpRequest, parts: tuple[bytes, ...]) -> bytes:
    """A kept page with this request's CSRF token filled in (none asked for when the page has no form)."""
    return parts[0] if len(parts) == 1 else get_token(request).encode().join(parts)


def _response(request: HttpRequest, parts: tuple[bytes, ...]) -> HttpResponse:
    return HttpResponse(_filled(request, parts), content_type="text/html; charset=utf-8")


@dataclass(frozen=True)
class _Lookup:
    """The decision for this request's reader, and the kept rendering it may be answered with."""

    decision: Decision
    signed_in: bool
    key: tuple | None  # None: this request's page must not be kept
    parts: tuple[bytes, ...] | None  # None: not kept (yet)


def _look_up_article(request: HttpRequest, route: ArticleRoute) -> _Lookup:
    from masthead.access.decisions import ArticleFacts
    from masthead.access.rendering import decision_for_request

    version = content_version.current()
    facts = ArticleFacts(id=route.pk, free_for_everyone=route.free_for_everyone)
    decision = decision_for_request(request, facts, site_id=route.site_id, now=timezone.now())
    signed_in = request.user.is_authenticated
    keep = version >= 0 and _cacheable_request(request) and not personal_request(request)
    keep = keep and decision.offer != "verify"  # that offer names the reader's address
    if not keep:
        return _Lookup(decision, signed_in, None, None)
    key = (
        version,
        _rendering_signature(request=request, article_pk=route.pk, decision=decision, signed_in=signed_in),
    )
    parts = _renderings.get(key)
    if parts is None:
        html = cache.get(_rendering_key(*key))
        if html is not None:
            parts = _parts(html)
            _renderings.set(key, parts)
    return _Lookup(decision, signed_in, key, parts)


def _finish_article(request: HttpRequest, route: ArticleRoute, found: _Lookup, response: HttpResponse) -> HttpResponse:
    from masthead.access import views as access_views
    from masthead.access.rendering import apply_cache_policy

    response.access_decision = found.decision  # type: ignore[attr-defined]  # what was decided, for logs and tests
    apply_cache_policy(response, found.decision, signed_in=found.signed_in)
    access_views.record_article_view(request, route.pk, found.decision)
    return response


def serve_article(request: HttpRequest, route: ArticleRoute, *, page=None) -> HttpResponse:
    """The article page for the reader behind this request."""
    from masthead.access.rendering import article_view_from_decision

    from .models import ArticlePage

    found = _look_up_article(request, route)
    if found.parts is not None:
        return _finish_article(request, route, found, _response(request, found.parts))
    if page is None:
        page = ArticlePage.objects.live().filter(pk=route.pk).first()
        if page is None:  # unpublished since the route was kept and the version not yet read again
            from django.http import Http404

            raise Http404("No such article.")
    view = article_view_from_decision(request, page, found.decision)
    context = page.get_context(request, access_view=view)
    if found.key is not None:
        context["csrf_token"] = CSRF_PLACEHOLDER
    response = TemplateResponse(request, page.get_template(request), context)
    response.render()
    if found.key is None:
        return _finish_article(request, route, found, response)
    html = response.content.decode()
    parts = _parts(html)
    _renderings.set(found.key, parts)
    cache.set(_rendering_key(*found.key), html, getattr(settings, "SERVING_CACHE_SECONDS", 3600))
    return _finish_article(request, route, found, _response(request, parts))


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Wagtail's page view, with kept article routes and kept pages (front page, archive) answered first.

    A page is only ever kept by a page that Wagtail routed and served after its own checks (view
    restrictions); adding a restriction raises the content version, which every key holds.
    """
    from wagtail.views import serve as wagtail_serve

    if fast_route_enabled():
        route = route_for(request)
        if route is not None:
            return serve_article(request, route)
        response = answer_page(request)
        if response is not None:
            return response
    return wagtail_serve(request, path)


# --- Pages the same for every reader: the front page, hubs, indexes -----------------------------

_pages = Memo(getattr(settings, "SERVING_PAGE_MEMO_SIZE", 512))
# (content version, scheme, host, path) of the pages kept in this process: what `may_answer_early` looks at.
_kept_paths = Memo(getattr(settings, "SERVING_PAGE_MEMO_SIZE", 512))
_KEPT_QUERY = re.compile(r"^(page=[0-9]{1,6})?$")


def _path_key(request: HttpRequest, version: int) -> tuple:
    return (version, request.scheme, _host(request), request.path)


def _page_key(request: HttpRequest) -> str | None:
    if not _readable_request(request):
        return None
    query = request.META.get("QUERY_STRING", "")
    if not _KEPT_QUERY.match(query) or personal_request(request):
        return None
    version = content_version.current()
    if version < 0:
        return None
    signed_in = request.user.is_authenticated
    return shared_key(
        f"masthead.page.v1:{version}",
        (request.scheme, _host(request), request.path, query, signed_in, local_date().year),
    )


def kept_page(request: HttpRequest, render: Callable[[], HttpResponse], *, page=None) -> HttpResponse:
    """A page that shows nothing of the reader but whether they are signed in: rendered once per content version.

    `render` returns the page's (unrendered) TemplateResponse. Anything else, or an answer other than
    200, is passed on as it is and not kept. A Wagtail `page` under a view restriction is never kept:
    who may see it is more than "signed in or not".
    """
    if page is not None and page.get_view_restrictions().exists():
        return render()
    key, parts = _kept_parts(request)
    if parts is None:
        response = render()
        if key is None or response.status_code != 200 or not isinstance(response, TemplateResponse):
            return response
        if response.is_rendered:
            return response
        response.context_data = {**(response.context_data or {}), "csrf_token": CSRF_PLACEHOLDER}
        response.render()
        html = response.content.decode()
        parts = _parts(html)
        _pages.set(key, parts)
        cache.set(key, html, getattr(settings, "SERVING_CACHE_SECONDS", 3600))
        _kept_paths.set(_path_key(request, content_version.current()), True)
    return _response(request, parts)


def answer_page(request: HttpRequest) -> HttpResponse | None:
    """This request's kept page (front page, hub, index), or None when it is not kept."""
    _, parts = _kept_parts(request)
    return None if parts is None else _response(request, parts)


def _kept_parts(request: HttpRequest) -> tuple[str | None, tuple[bytes, ...] | None]:
    """The key of this request's kept page, and the page if it is kept."""
    key = _page_key(request)
    parts = _pages.get(key) if key else None
    if parts is None and key:
        html = cache.get(key)
        if html is not None:
            parts = _parts(html)
            _pages.set(key, parts)
            _kept_paths.set(_path_key(request, content_version.current()), True)
    return key, parts


def keep_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view whose page is the same for every reader (see `kept_page`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return kept_page(request, lambda: view(request, *args, **kwargs))

    return wrapper


# --- Answering before Django's request handling (masthead.articles.early) ----------------------


@dataclass(frozen=True)
class KeptAnswer:
    """A kept page filled in for one request, and what its headers depend on."""

    body: bytes
    decision: Decision | None  # None: a page that is the same for every reader (front page, hub, index)
    signed_in: bool


def may_answer_early(request: HttpRequest) -> bool:
    """Cheap test, before the session is read: was this URL's page kept in this process at this version?"""
    if not _readable_request(request) or not fast_route_enabled():
        return False
    version = content_version.current()
    if version < 0:
        return False
    if not request.META.get("QUERY_STRING") and _routes.get(_route_key(request, version)) is not None:
        return True
    return _kept_paths.get(_path_key(request, version)) is not None


def kept_answer(request: HttpRequest) -> KeptAnswer | None:
    """The kept article or page for this request's reader, or None: Django's handler and the view then answer it.

    `request.session` and `request.user` must be set. An article's view is counted for the funnel here,
    as the view counts it.
    """
    from masthead.access import views as access_views

    route = route_for(request)
    if route is not None:
        found = _look_up_article(request, route)
        if found.parts is None:
            return None
        access_views.record_article_view(request, route.pk, found.decision)
        return KeptAnswer(_filled(request, found.parts), found.decision, found.signed_in)
    _, parts = _kept_parts(request)
    if parts is None:
        return None
    return KeptAnswer(_filled(request, parts), None, request.user.is_authenticated)
