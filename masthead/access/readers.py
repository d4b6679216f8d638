"""Gather what the decision needs to know about the reader behind a request.

Lookups that fail (database or cache trouble, a corrupt session) give a
reader for whom the decision shows the teaser: access fails closed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone

from masthead.accounts.selectors import user_email_verified

from . import entitlements
from .client_ip import client_ip
from .decisions import MeterState, Reader
from .enums import UnlockSource
from .models import AccessSettings, GiftLink, MeterUnlock
from .services import SESSION_GIFTS_KEY, SESSION_UNLOCKS_KEY, month_of

logger = logging.getLogger(__name__)


def _session_unlocks(request: HttpRequest) -> frozenset[int]:
    return frozenset(int(article_id) for article_id in request.session.get(SESSION_UNLOCKS_KEY, []))


def _session_gifts(request: HttpRequest, now: dt.datetime) -> tuple[tuple[int, dt.datetime], ...]:
    """The gift links opened in this browser that still stand: not withdrawn, not expired."""
    opened = request.session.get(SESSION_GIFTS_KEY)
    if not opened:
        return ()
    ids = [uuid.UUID(hex=value) for value in opened]
    gifts = GiftLink.objects.filter(pk__in=ids, revoked_at__isnull=True, expires_at__gt=now)
    return tuple(gifts.values_list("article_id", "expires_at"))


def _is_staff(user) -> bool:
    return user.is_active and (user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin"))


def meter_state(*, user, article_ids: Iterable[int], quota: int, now: dt.datetime) -> MeterState:
    """The reader's use of the meter this month, and which of these articles they have unlocked."""
    article_ids = list(article_ids)
    month = month_of(now)
    used = MeterUnlock.objects.filter(reader=user, month=month, source=UnlockSource.METER).count()
    unlocked = (
        frozenset(
            MeterUnlock.objects.filter(reader=user, article_id__in=article_ids).values_list("article_id", flat=True)
        )
        if article_ids
        else frozenset()
    )
    return MeterState(quota=quota, used=used, unlocked=unlocked)


def _signed_in_reader(
    user, *, ip, quota: int, article_ids: Iterable[int], now: dt.datetime, session_unlocks=frozenset(), gifts=()
) -> Reader:
    staff = _is_staff(user)
    verified = user_email_verified(user=user)
    facts = entitlements.RequestFacts(now=now, ip=ip, email_verified=verified)
    found = () if staff else tuple(e for source in entitlements.sources() for e in source(user, facts))
    meter = None
    if verified and not staff and not any(e.active_at(now) for e in found):
        meter = meter_state(user=user, article_ids=article_ids, quota=quota, now=now)
    return Reader(
        is_authenticated=True,
        is_staff=staff,
        is_verified=verified,
        entitlements=found,
        meter=meter,
        session_unlocks=session_unlocks,
        gifts=gifts,
    )


def reader_for_request(
    request: HttpRequest, *, article_ids: Iterable[int] = (), now: dt.datetime | None = None
) -> Reader:
    """The reader behind this request, with the meter state of the given articles."""
    now = now or timezone.now()
    user = getattr(request, "user", None) or AnonymousUser()
    try:
        session_unlocks = _session_unlocks(request)
        gifts = _session_gifts(request, now)
        if not user.is_authenticated:
            facts = entitlements.RequestFacts(now=now, ip=client_ip(request))
            found = tuple(e for source in entitlements.sources() for e in source(user, facts))
            return Reader(entitlements=found, session_unlocks=session_unlocks, gifts=gifts)
        return _signed_in_reader(
            user,
            ip=client_ip(request),
            quota=AccessSettings.for_request(request).monthly_free_articles,
            article_ids=article_ids,
            now=now,
            session_unlocks=session_unlocks,
            gifts=gifts,
        )
    except Exception:
        logger.exception("Access lookup failed; showing the teaser")
        return Reader.failed()


def reader_for_user(user, *, quota: int, article_ids: Iterable[int] = (), now: dt.datetime | None = None) -> Reader:
    """A reader away from any request (an email being written for them): no browser, no network address.

    `quota` is the site's monthly free articles (`AccessSettings.for_site(site).monthly_free_articles`).
    """
    now = now or timezone.now()
    try:
        if not user.is_active:
            return Reader.anonymous()
        return _signed_in_reader(user, ip=None, quota=quota, article_ids=article_ids, now=now)
    except Exception:
        logger.exception("Access lookup failed for reader %s; the email gets the teaser", user.pk)
        return Reader.failed()
