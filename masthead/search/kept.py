"""Search pages kept for readers who see what an anonymous reader sees: rendered once, answered many times.

A results page shows each result's snippet from the text the reader may read,
so it depends on the reader's access decisions. An anonymous reader's decision
depends on the article alone (a free article in full, any other its teaser), so
the page rendered for one anonymous reader is the page of every signed-out
reader whose decisions on its results are the same. A kept page therefore
carries its results (id, free for everyone, shown in full) and is given only to
a signed-out reader, with nothing personal on the page, whose own decisions on
those results, taken on every request, are the ones it was rendered with. A
reader on an institution's network, with a gift link or an unlocked article
among the results gets a page rendered for them, and it is not kept.

The key is the content version (any publish, edit or setting change renders
afresh) and the index version (an article's entry is written after it is
published, by a task), the scheme, host and whole path with its query string (the page
repeats them: the search box, the links, "sign in" coming back here), the
publication's date, and a five-minute period (the ranking's recency factor
moves with time). What a reader may type has no end, so the key space is
bounded three ways: a page is kept only when its address is asked for a second
time (`SEEN`, a bounded map of addresses), each process holds at most `MEMO`
pages, and the shared cache drops them after `KEPT_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from masthead.access.decisions import ArticleFacts, Reader, decide_access
from masthead.access.readers import reader_for_request
from masthead.articles.serving import personal_request
from masthead.core import content_version
from masthead.core.memo import Memo, shared_key

from . import index_version

KEPT_SECONDS = 300
MAX_PATH_LENGTH = 600  # longer addresses are rendered every time (a pasted essay is not worth keeping)
_pages = Memo(256)  # about 40 KB each
_seen = Memo(4096)


@dataclass(frozen=True)
class KeptResult:
    id: int
    free_for_everyone: bool
    full: bool  # the decision the page was rendered with


@dataclass(frozen=True)
class KeptPage:
    content: bytes
    status: int
    results: tuple[KeptResult, ...]


def _key(request: HttpRequest) -> str | None:
    """This request's kept-page key, or None when its page must be rendered for it alone."""
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return None
    path = request.get_full_path()
    if len(path) > MAX_PATH_LENGTH or personal_request(request):
        return None
    version = content_version.current()
    if version < 0:
        return None
    period = int(time.time() // KEPT_SECONDS)
    signature = (request.scheme, request.get_host(), path, timezone.localdate().isoformat(), period)
    return shared_key(f"masthead.search.kept.v1:{version}:{index_version.current()}", signature)


def _same_decisions(request: HttpRequest, results: tuple[KeptResult, ...], now: dt.datetime) -> bool:
    if not results:
        return True
    reader = reader_for_request(request, article_ids=[result.id for result in results], now=now)
    return all(decide_access(reader=reader, article=_facts(result), now=now).full == result.full for result in results)


def _facts(result: KeptResult) -> ArticleFacts:
    return ArticleFacts(id=result.id, free_for_everyone=result.free_for_everyone)


def kept_response(request: HttpRequest) -> HttpResponse | None:
    """The kept page for this request, if there is one and this reader's decisions on its results match."""
    key = _key(request)
    if key is None:
        return None
    page = _pages.get(key)
    if page is None:
        page = cache.get(key)
        if page is None:
            return None
        _pages.set(key, page)
    if not _same_decisions(request, page.results, timezone.now()):
        return None
    return HttpResponse(page.content, status=page.status, content_type="text/html; charset=utf-8")


def keep(request: HttpRequest, response: TemplateResponse, results: tuple[KeptResult, ...]) -> HttpResponse:
    """Render the response, and keep it when it is an anonymous reader's page asked for before.

    `results`: the page's results with the decisions they were shown with. Kept only when those
    are an anonymous reader's decisions, and the page carries no cookie and no form token.
    """
    response.render()
    key = _key(request)
    if key is None or response.status_code != 200 or response.cookies:
        return response
    now = timezone.now()
    anonymous = Reader.anonymous()
    if any(result.full != decide_access(reader=anonymous, article=_facts(result), now=now).full for result in results):
        return response
    if _seen.get(key) is None:
        _seen.set(key, True)
        return response
    content = response.content
    if b"csrfmiddlewaretoken" in content:
        return response
    page = KeptPage(content=content, status=response.status_code, results=results)
    _pages.set(key, page)
    cache.set(key, page, KEPT_SECONDS)
    return response


def forget() -> None:
    """Drop this process's kept pages and seen addresses (tests)."""
    _pages.clear()
    _seen.clear()
