"""The read-only content API: plain views returning JSON, access-aware per request.

The reader behind the request (session cookie) is gathered once per request;
every article's level comes from `decide_access`, and the detail shows only
the blocks the decision lets leave the server. Nothing here writes: reading an
article through the API never spends a free article of the meter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.core.paginator import Paginator
from django.http import HttpRequest, JsonResponse, QueryDict
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from masthead.access.decisions import decide_access
from masthead.access.enums import Reason
from masthead.access.readers import reader_for_request
from masthead.access.rendering import apply_cache_policy, article_view, facts_for
from masthead.articles.enums import ArticleKind

from . import presenters, selectors

PAGE_SIZE = 20
LIST_PARAMETERS = ("page", "topic", "country", "region", "kind", "author")
PUBLIC_CACHE_SECONDS = 60
_ID = re.compile(r"[0-9]{1,18}")  # fits a 64-bit key: longer ids cannot exist
_PAGE = re.compile(r"[0-9]{1,9}")
_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")


def error(status: int, message: str, *, parameter: str | None = None, headers: dict | None = None) -> JsonResponse:
    body = {"error": message}
    if parameter is not None:
        body["parameter"] = parameter
    return JsonResponse(body, status=status, headers=headers)


def read_only(view: Callable) -> Callable:
    """GET and HEAD only, answered in JSON.

    CSRF checks are off because nothing here changes state: without this a POST
    would get the site's HTML 403 page instead of the API's 405.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return error(
                405, f"Method {request.method} not allowed; this API only reads.", headers={"Allow": "GET, HEAD"}
            )
        return view(request, *args, **kwargs)

    return wrapper


class BadParameter(Exception):
    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def _single(query: QueryDict, name: str) -> str:
    values = query.getlist(name)
    if len(values) > 1:
        raise BadParameter(name, f"Give {name} at most once.")
    return values[0].strip() if values else ""


def _found(value, parameter: str, message: str):
    if value is None:
        raise BadParameter(parameter, message)
    return value


def list_filters(query: QueryDict) -> dict:
    """The list's filters from the query string; an empty value means no filter. Raises BadParameter."""
    unknown = sorted(set(query.keys()) - set(LIST_PARAMETERS))
    if unknown:
        raise BadParameter(unknown[0], f"Unknown parameter {unknown[0]!r}; use {', '.join(LIST_PARAMETERS)}.")
    filters: dict = {}
    if slug := _single(query, "topic"):
        filters["topic"] = _found(selectors.topic_by_slug(slug), "topic", f"No topic {slug!r}.")
    if code := _single(query, "country"):
        if not _COUNTRY_CODE.fullmatch(code):
            raise BadParameter("country", "country must be an ISO 3166-1 alpha-2 code, such as AF.")
        code = code.upper()
        filters["country"] = _found(selectors.country_by_code(code), "country", f"No country with the code {code!r}.")
    if slug := _single(query, "region"):
        filters["region"] = _found(selectors.region_by_slug(slug), "region", f"No world region {slug!r}.")
    if kind := _single(query, "kind"):
        if kind not in ArticleKind.values:
            raise BadParameter("kind", f"Unknown kind {kind!r}; use one of {', '.join(ArticleKind.values)}.")
        filters["kind"] = kind
    if slug := _single(query, "author"):
        filters["author"] = _found(selectors.author_by_slug(slug), "author", f"No author {slug!r}.")
    return filters


def page_number(query: QueryDict) -> int:
    value = _single(query, "page") or "1"
    if not _PAGE.fullmatch(value) or int(value) < 1:
        raise BadParameter("page", "page must be a whole number from 1.")
    return int(value)


def _page_url(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@read_only
def article_list(request: HttpRequest) -> JsonResponse:
    """`GET /api/v1/articles/`: published articles, newest first, 20 a page, without their bodies."""
    try:
        filters = list_filters(request.GET)
        number = page_number(request.GET)
    except BadParameter as bad:
        return error(400, bad.message, parameter=bad.parameter)

    paginator = Paginator(selectors.article_list(**filters), PAGE_SIZE)
    if number > paginator.num_pages:
        return error(400, f"page {number} is beyond the last page, {paginator.num_pages}.", parameter="page")
    page = paginator.page(number)
    articles = list(page.object_list)

    now = timezone.now()
    reader = reader_for_request(request, article_ids=[article.pk for article in articles], now=now)
    decisions = [decide_access(reader=reader, article=facts_for(article), now=now) for article in articles]

    response = JsonResponse(
        {
            "count": paginator.count,
            "page": number,
            "pages": paginator.num_pages,
            "next": _page_url(request, number + 1) if page.has_next() else None,
            "previous": _page_url(request, number - 1) if page.has_previous() else None,
            "results": [
                presenters.article_summary(request, article, decision)
                for article, decision in zip(articles, decisions, strict=True)
            ],
        }
    )
    # Who asks changes every gated article's level: only a list of free articles is the same for everyone.
    patch_vary_headers(response, ["Cookie"])
    if all(decision.reason == Reason.FREE_ARTICLE for decision in decisions):
        patch_cache_control(response, public=True, max_age=PUBLIC_CACHE_SECONDS)
    else:
        patch_cache_control(response, private=True, no_cache=True, max_age=0)
    return response


@read_only
def article_detail(request: HttpRequest, article_id: str) -> JsonResponse:
    """`GET /api/v1/articles/<id>/`: one published article with the body blocks this reader may read."""
    article = selectors.article(pk=int(article_id)) if _ID.fullmatch(article_id) else None
    if article is None:
        return error(404, "No published article with this id.")
    view = article_view(request, article)
    response = JsonResponse(presenters.article_detail(request, article, view))
    apply_cache_policy(response, view.decision, signed_in=request.user.is_authenticated)
    return response


@read_only
def not_found(request: HttpRequest) -> JsonResponse:
    return error(404, "No such API endpoint; see /api/v1/articles/.")
