"""Apply a decision to an article: which body blocks leave the server, and how the response may be cached."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from .decisions import ArticleFacts, Decision, Reader, decide_access
from .enums import Reason
from .models import AccessSettings
from .readers import reader_for_request
from .teaser import teaser_blocks, teaser_raw_blocks


@dataclass(frozen=True)
class ArticleView:
    """What one reader may see of one article."""

    decision: Decision
    blocks: list[Any]
    withheld: int  # body blocks kept on the server

    @property
    def full(self) -> bool:
        return self.decision.full


def facts_for(article) -> ArticleFacts:
    return ArticleFacts(id=article.pk, free_for_everyone=article.free_for_everyone)


def teaser_length(article, default: int) -> int:
    return article.teaser_paragraphs or default


def visible_blocks(article, decision: Decision, *, default_paragraphs: int) -> list[Any]:
    blocks = list(article.body)
    if decision.full:
        return blocks
    return teaser_blocks(blocks, paragraphs=teaser_length(article, default_paragraphs))


def visible_raw_blocks(article, decision: Decision, *, default_paragraphs: int) -> list[dict]:
    """What `visible_blocks` gives, in the body's stored form: for text-only uses (snippets), without decoding."""
    raw = list(article.body.raw_data)
    if decision.full:
        return raw
    return teaser_raw_blocks(raw, paragraphs=teaser_length(article, default_paragraphs))


def _view(article, decision: Decision, *, default_paragraphs: int) -> ArticleView:
    blocks = visible_blocks(article, decision, default_paragraphs=default_paragraphs)
    return ArticleView(decision=decision, blocks=blocks, withheld=len(article.body) - len(blocks))


def article_view_for(article, *, reader: Reader, now: dt.datetime, default_paragraphs: int) -> ArticleView:
    decision = decide_access(reader=reader, article=facts_for(article), now=now)
    return _view(article, decision, default_paragraphs=default_paragraphs)


def decision_for_request(
    request: HttpRequest, article: ArticleFacts, *, site_id: int | None = None, now: dt.datetime | None = None
) -> Decision:
    """The decision for the reader behind this request on one article (without loading the article's page)."""
    now = now or timezone.now()
    reader = reader_for_request(request, article_ids=[article.id], now=now, site_id=site_id)
    return decide_access(reader=reader, article=article, now=now)


def article_view_from_decision(request: HttpRequest, article, decision: Decision) -> ArticleView:
    """What a decision already taken lets the reader see of this article's body."""
    return _view(article, decision, default_paragraphs=AccessSettings.for_request(request).teaser_paragraphs)


def article_view(request: HttpRequest, article, *, now: dt.datetime | None = None) -> ArticleView:
    """What the reader behind this request may see of this article."""
    now = now or timezone.now()
    reader = reader_for_request(request, article_ids=[article.pk], now=now)
    default = AccessSettings.for_request(request).teaser_paragraphs
    return article_view_for(article, reader=reader, now=now, default_paragraphs=default)


def shared_cache_allowed(decision: Decision, *, signed_in: bool) -> bool:
    """Whether shared caches may keep the page this decision gives: a free article seen by a signed-out reader."""
    return decision.reason == Reason.FREE_ARTICLE and not signed_in


def apply_cache_policy(response: HttpResponse, decision: Decision, *, signed_in: bool) -> None:
    """Never let a shared cache keep a page that depends on who asked.

    Full text of a gated article is for one reader only. Teasers are private
    too: they carry the reader's offer and the gate form's CSRF token. Only
    free articles seen by anonymous readers, the same for everyone, may be
    cached by others (a signed-in reader's page carries their account links).
    """
    patch_vary_headers(response, ["Cookie"])
    if shared_cache_allowed(decision, signed_in=signed_in):
        patch_cache_control(response, public=True, max_age=60)
    else:
        patch_cache_control(response, private=True, no_cache=True, max_age=0)
