"""Gather what the decision needs to know about the reader behind a request.

Lookups that fail (database or cache trouble, a corrupt session) give a
reader for whom the decision shows the teaser: access fails closed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from masthead.accounts.selectors import user_email_verified
from masthead.core import content_version
from masthead.core.clock import local_date
from masthead.core.memo import Memo, shared_key

from . import entitlements
from .client_ip import client_ip
from .decisions import Entitlement, MeterState, Reader
from .enums import UnlockSource
from .models import AccessSettings, GiftLink, MeterUnlock
from .services import SESSION_GIFTS_KEY, SESSION_UNLOCKS_KEY, month_of
from .settings_cache import access_settings_for_site

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


@dataclass(frozen=True)
class _AccountFacts:
    """What a signed-in reader's account says, whatever the request: cached per access version."""

    staff: bool
    verified: bool
    entitlements: tuple[Entitlement, ...]
    used: int  # free articles spent this month
    unlocked: frozenset[int]  # every article the reader has unlocked


# (user id, joined, access version, staff flags, content version, day) -> _AccountFacts. Bounded; a reader's row
# changing raises their access version, so an entry is never read after what it says has changed. Kept in
# each process and, under the same key, in the shared cache: a reader's first request in another process
# reads them there rather than making the six queries again.
_accounts = Memo(getattr(settings, "ACCESS_READER_MEMO_SIZE", 10_000))
ACCOUNT_FACTS_SECONDS = 3600


def forget_readers() -> None:
    _accounts.clear()


def _account_facts(user, *, now: dt.datetime) -> _AccountFacts:
    month = month_of(now)
    version = content_version.current()
    # The flags are read from the user's row on every request; the day bounds institutions' dates.
    flags = (user.is_active, user.is_staff, user.is_superuser)
    day = local_date(now)
    # date_joined tells apart two accounts that got the same id (SQLite reuses the id of a rolled-back row).
    key = (user.pk, user.date_joined, user.access_version, flags, version, day) if version >= 0 else None
    found = _accounts.get(key) if key else None
    if found is not None:
        return found
    facts_key = shared_key("masthead.account-facts.v1", key) if key else None
    if facts_key:
        found = _shared(lambda: cache.get(facts_key))  # what another process worked out
        if isinstance(found, _AccountFacts):
            _accounts.set(key, found)
            return found
    staff = _is_staff(user)
    verified = user_email_verified(user=user)
    facts = entitlements.RequestFacts(now=now, ip=None, email_verified=verified)
    found_entitlements = (
        ()
        if staff
        else tuple(
            e for source in entitlements.sources() if not entitlements.per_request(source) for e in source(user, facts)
        )
    )
    rows = list(MeterUnlock.objects.filter(reader=user).values_list("article_id", "month", "source"))
    used = sum(1 for _, row_month, source in rows if row_month == month and source == UnlockSource.METER)
    found = _AccountFacts(
        staff=staff,
        verified=verified,
        entitlements=found_entitlements,
        used=used,
        unlocked=frozenset(article_id for article_id, _, _ in rows),
    )
    if facts_key:
        _accounts.set(key, found)
        _shared(lambda: cache.set(facts_key, found, ACCOUNT_FACTS_SECONDS))
    return found


def _shared(operation):
    """A shared-cache read or write; without the cache, the facts come from the database."""
    try:
        return operation()
    except Exception:
        logger.warning("The shared cache failed; reader facts are read from the database")
        return None


def _signed_in_reader(
    user, *, ip, quota: int, article_ids: Iterable[int], now: dt.datetime, session_unlocks=frozenset(), gifts=()
) -> Reader:
    account = _account_facts(user, now=now)
    staff = account.staff and user.is_active
    # The account's entitlements are kept with their dates; the reader holds those in force now.
    found = tuple(e for e in account.entitlements if e.active_at(now))
    if not staff and ip is not None:
        facts = entitlements.RequestFacts(now=now, ip=ip, email_verified=account.verified)
        found += tuple(
            e for source in entitlements.sources() if entitlements.per_request(source) for e in source(user, facts)
        )
    meter = None
    if account.verified and not staff and not any(e.active_at(now) for e in found):
        wanted = set(article_ids)
        meter = MeterState(quota=quota, used=account.used, unlocked=frozenset(account.unlocked & wanted))
    return Reader(
        is_authenticated=True,
        is_staff=staff,
        is_verified=account.verified,
        entitlements=found,
        meter=meter,
        session_unlocks=session_unlocks,
        gifts=gifts,
    )


def monthly_quota(request: HttpRequest, site_id: int | None = None) -> int:
    if site_id is None:
        return AccessSettings.for_request(request).monthly_free_articles
    return access_settings_for_site(site_id).monthly_free_articles


def reader_for_request(
    request: HttpRequest,
    *,
    article_ids: Iterable[int] = (),
    now: dt.datetime | None = None,
    site_id: int | None = None,
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
            quota=monthly_quota(request, site_id),
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
