"""Reader actions on access: spend a free article, open, create and revoke gift links."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from masthead.articles.models import ArticlePage

from . import funnel, services
from .decisions import Decision, may_give_gifts
from .enums import FunnelEvent, Offer, Reason
from .models import AccessSettings, GiftLink
from .rendering import article_view
from .tokens import gift_id_from_token, gift_token


def _live_article(article_id: int) -> ArticlePage:
    return get_object_or_404(ArticlePage.objects.live(), pk=article_id)


@require_POST
@login_required
def unlock(request: HttpRequest, article_id: int) -> HttpResponse:
    """Spend one of this month's free articles on this article, then read it."""
    article = _live_article(article_id)
    view = article_view(request, article)
    if view.decision.offer != Offer.UNLOCK:
        return redirect(article.url)
    now = timezone.now()
    quota = AccessSettings.for_request(request).monthly_free_articles
    result = services.meter_unlock(reader=request.user, article_id=article.pk, quota=quota, now=now)
    if result.unlocked and not result.already:
        funnel.record(FunnelEvent.UNLOCK, article_id=article.pk, now=now)
        left = (
            "no free articles"
            if result.remaining == 0
            else f"{result.remaining} free article" + ("s" if result.remaining != 1 else "")
        )
        messages.success(request, f"This article is yours to read. You have {left} left this month.")
    elif not result.unlocked:
        funnel.record(FunnelEvent.METER_EXHAUSTED, article_id=article.pk, now=now)
        messages.info(request, "You have used this month's free articles.")
    return redirect(article.url)


def open_gift_from_request(request: HttpRequest, article: ArticlePage) -> HttpResponse | None:
    """On an article URL with `?gift=`: let this browser read it, then show the clean URL."""
    token = request.GET.get("gift")
    if token is None or request.method not in ("GET", "HEAD"):
        return None
    gift_id = gift_id_from_token(token)
    gift = GiftLink.objects.filter(pk=gift_id, article_id=article.pk).first() if gift_id else None
    now = timezone.now()
    if gift is None:
        messages.error(request, "This gift link is not valid. You can still read the opening of the article.")
    elif gift.revoked_at is not None or gift.expires_at <= now:
        messages.error(request, "This gift link has expired or was withdrawn by the person who shared it.")
    else:
        services.gift_link_open(request=request, gift=gift)
        funnel.record(FunnelEvent.GIFT_OPENED, article_id=article.pk, now=now)
    return HttpResponseRedirect(article.url)


def record_article_view(request: HttpRequest, article_id: int, decision: Decision) -> None:
    if decision.reason == Reason.STAFF:
        return
    if decision.full:
        funnel.record(FunnelEvent.FULL_READ, article_id=article_id, institution_id=decision.institution_id)
        return
    funnel.record(FunnelEvent.TEASER_SHOWN, article_id=article_id)
    if decision.offer == Offer.REGISTER:
        funnel.record(FunnelEvent.GATE_SHOWN, article_id=article_id)
    elif decision.offer == Offer.SUBSCRIBE:
        funnel.record(FunnelEvent.SUBSCRIBE_SHOWN, article_id=article_id)
    if decision.reason == Reason.METER_EXHAUSTED:
        funnel.record(FunnelEvent.METER_EXHAUSTED, article_id=article_id)


@require_POST
@login_required
def gift_create(request: HttpRequest, article_id: int) -> HttpResponse:
    article = _live_article(article_id)
    view = article_view(request, article)
    if not may_give_gifts(view.decision):
        messages.error(request, "Gift links are for subscribers.")
        return redirect(article.url)
    settings_ = AccessSettings.for_request(request)
    try:
        services.gift_link_create(
            giver=request.user,
            article_id=article.pk,
            monthly_quota=settings_.monthly_gift_links,
            days=settings_.gift_link_days,
            now=timezone.now(),
        )
    except services.GiftQuotaExceeded:
        messages.error(
            request, f"You have shared {settings_.monthly_gift_links} gift links this month, the most allowed."
        )
        return redirect(article.url)
    messages.success(request, f"Your gift link for “{article.title}” is ready: anyone with it can read the article.")
    return redirect("access:gifts")


@require_GET
@login_required
def gifts(request: HttpRequest) -> HttpResponse:
    links = GiftLink.objects.filter(giver_id=request.user.pk).select_related("article").order_by("-created_at")[:100]
    now = timezone.now()
    rows = [
        {
            "gift": link,
            "url": request.build_absolute_uri(f"{link.article.url}?gift={gift_token(link.pk)}"),
            "active": link.revoked_at is None and link.expires_at > now,
        }
        for link in links
    ]
    return TemplateResponse(request, "access/gifts.html", {"rows": rows})


@require_POST
@login_required
def gift_revoke(request: HttpRequest, gift_id: uuid.UUID) -> HttpResponse:
    gift = GiftLink.objects.filter(pk=gift_id, giver_id=request.user.pk).first()
    if gift is None:
        raise Http404("No such gift link.")
    services.gift_link_revoke(gift=gift, now=timezone.now())
    messages.success(request, "The gift link no longer works.")
    return redirect("access:gifts")
