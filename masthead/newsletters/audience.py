"""Who gets an issue, and what each recipient may read: gathered for a batch of readers at once.

`readers_for_users` gives, for each reader, exactly the `Reader` that
`masthead.access.readers.reader_for_user` would (a property test holds the
two together), with a handful of queries per batch instead of seven per
reader. Entitlement sources it does not know (billing's subscription source,
when it lands) are asked reader by reader, as `reader_for_user` asks them, so
nothing about access is decided here: `decide_access` decides, per reader and
article, on what this module gathers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import Lower

from masthead.access import entitlements
from masthead.access.decisions import Entitlement, MeterState, Reader
from masthead.access.enums import EntitlementKind, UnlockSource
from masthead.access.models import ComplimentaryAccess, MeterUnlock
from masthead.access.services import month_of

from .enums import Audience, SkipReason
from .models import Newsletter, NewsletterChoice, Suppression

logger = logging.getLogger(__name__)

RECIPIENT_FIELDS = ("id", "email", "is_active", "is_staff", "is_superuser")


def _staff_ids(users: Sequence) -> set[int]:
    """Readers with Wagtail admin access, as `_is_staff` in access.readers decides it."""
    staff = {u.pk for u in users if u.is_active and (u.is_staff or u.is_superuser)}
    others = [u.pk for u in users if u.is_active and u.pk not in staff]
    if not others:
        return staff
    permission_ids = list(
        Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin").values_list(
            "pk", flat=True
        )
    )
    if not permission_ids:
        return staff
    User = get_user_model()
    direct = User.user_permissions.through.objects.filter(user_id__in=others, permission_id__in=permission_ids)
    groups = list(
        Group.permissions.through.objects.filter(permission_id__in=permission_ids).values_list("group_id", flat=True)
    )
    staff.update(direct.values_list("user_id", flat=True))
    if groups:
        via_group = User.groups.through.objects.filter(user_id__in=others, group_id__in=groups)
        staff.update(via_group.values_list("user_id", flat=True))
    return staff


def verified_ids(users: Sequence) -> set[int]:
    """Readers whose current address is confirmed (allauth's record), as `user_email_verified` decides it."""
    wanted = {u.pk: u.email.lower() for u in users}
    rows = EmailAddress.objects.filter(user_id__in=list(wanted), verified=True).values_list("user_id", "email")
    return {user_id for user_id, email in rows if wanted.get(user_id) == email.lower()}


def _complimentary(users: Sequence, now: dt.datetime) -> dict[int, list[Entitlement]]:
    found: dict[int, list[Entitlement]] = defaultdict(list)
    grants = ComplimentaryAccess.objects.filter(
        reader_id__in=[u.pk for u in users], starts_at__lte=now, ends_at__gt=now
    ).order_by("reader_id", "pk")
    for grant in grants.values_list("reader_id", "starts_at", "ends_at"):
        reader_id, starts_at, ends_at = grant
        found[reader_id].append(Entitlement(kind=EntitlementKind.COMPLIMENTARY, starts_at=starts_at, ends_at=ends_at))
    return found


def _institution_domains(now: dt.datetime) -> set[str]:
    from django.utils import timezone

    today = timezone.localtime(now).date()
    return {
        domain for record in entitlements.active_institutions() if record.active_on(today) for domain in record.domains
    }


def _entitlements(users: Sequence, *, staff: set[int], verified: set[int], now: dt.datetime) -> dict[int, tuple]:
    """Each source in ACCESS_ENTITLEMENT_SOURCES, in order; the known ones in bulk, any other per reader."""
    sources = entitlements.sources()
    result: dict[int, list[Entitlement]] = {u.pk: [] for u in users}
    asked = [u for u in users if u.pk not in staff]
    for source in sources:
        if source is entitlements.complimentary_access:
            for reader_id, found in _complimentary(asked, now).items():
                result[reader_id].extend(found)
        elif source is entitlements.institution_by_ip:
            continue  # an email has no network address
        elif source is entitlements.institution_by_email:
            domains = _institution_domains(now)
            for user in asked:
                if user.pk in verified and user.email.rpartition("@")[2].lower() in domains:
                    facts = entitlements.RequestFacts(now=now, ip=None, email_verified=True)
                    result[user.pk].extend(source(user, facts))
        else:
            for user in asked:
                facts = entitlements.RequestFacts(now=now, ip=None, email_verified=user.pk in verified)
                result[user.pk].extend(source(user, facts))
    return {reader_id: tuple(found) for reader_id, found in result.items()}


def _meters(user_ids: list[int], *, article_ids: list[int], quota: int, now: dt.datetime) -> dict[int, MeterState]:
    if not user_ids:
        return {}
    used = dict(
        MeterUnlock.objects.filter(reader_id__in=user_ids, month=month_of(now), source=UnlockSource.METER)
        .values_list("reader_id")
        .annotate(n=Count("pk"))
        .values_list("reader_id", "n")
    )
    unlocked: dict[int, set[int]] = defaultdict(set)
    if article_ids:
        rows = MeterUnlock.objects.filter(reader_id__in=user_ids, article_id__in=article_ids)
        for reader_id, article_id in rows.values_list("reader_id", "article_id"):
            unlocked[reader_id].add(article_id)
    return {
        reader_id: MeterState(quota=quota, used=used.get(reader_id, 0), unlocked=frozenset(unlocked[reader_id]))
        for reader_id in user_ids
    }


def readers_for_users(
    users: Sequence,
    *,
    quota: int,
    article_ids: Iterable[int] = (),
    now: dt.datetime,
    verified: set[int] | None = None,
) -> dict[int, Reader]:
    """For each user, the reader `reader_for_user(user, quota=..., article_ids=..., now=...)` would give.

    `verified` may pass in `verified_ids(users)` when the caller already has it.
    """
    article_ids = list(article_ids)
    try:
        active = [u for u in users if u.is_active]
        staff = _staff_ids(active)
        verified = verified_ids(active) if verified is None else verified
        found = _entitlements(active, staff=staff, verified=verified, now=now)
        metered = [
            u.pk
            for u in active
            if u.pk in verified and u.pk not in staff and not any(e.active_at(now) for e in found[u.pk])
        ]
        meters = _meters(metered, article_ids=article_ids, quota=quota, now=now)
    except Exception:
        logger.exception("Access lookup failed for a batch of %d readers; their emails get the teaser", len(users))
        return {u.pk: (Reader.failed() if u.is_active else Reader.anonymous()) for u in users}
    readers = {}
    for user in users:
        if not user.is_active:
            readers[user.pk] = Reader.anonymous()
            continue
        readers[user.pk] = Reader(
            is_authenticated=True,
            is_staff=user.pk in staff,
            is_verified=user.pk in verified,
            entitlements=() if user.pk in staff else found[user.pk],
            meter=meters.get(user.pk),
        )
    return readers


def is_entitled(reader: Reader, now: dt.datetime) -> bool:
    """Reads everything: staff, or an active subscription, complimentary access or institution. No house ads."""
    return reader.is_staff or any(e.active_at(now) for e in reader.entitlements)


def in_audience(audience: str, reader: Reader, now: dt.datetime) -> bool:
    if audience == Audience.SUBSCRIBERS:
        return is_entitled(reader, now)
    if audience == Audience.FREE:
        return not is_entitled(reader, now)
    return True


def current_skips(users: Sequence, *, newsletter: Newsletter, verified: set[int]) -> dict[int, str]:
    """Readers of this batch who must not get it now: unsubscribed, suppressed, unconfirmed, closed."""
    ids = [u.pk for u in users]
    subscribed = set(
        NewsletterChoice.objects.filter(
            reader_id__in=ids,
            newsletter=newsletter,
            active=True,
            reader__newsletter_consent__confirmed_at__isnull=False,
        ).values_list("reader_id", flat=True)
    )
    suppressed = set(
        Suppression.objects.filter(email__in=[u.email.lower() for u in users]).values_list("email", flat=True)
    )
    skips: dict[int, str] = {}
    for user in users:
        if not user.is_active:
            skips[user.pk] = SkipReason.INACTIVE
        elif user.pk not in subscribed or not newsletter.is_active:
            skips[user.pk] = SkipReason.UNSUBSCRIBED
        elif user.email.lower() in suppressed:
            skips[user.pk] = SkipReason.SUPPRESSED
        elif user.pk not in verified:
            skips[user.pk] = SkipReason.UNVERIFIED
    return skips


def eligible_readers(newsletter: Newsletter):
    """(reader id, address) of everyone to freeze into an issue's recipient list: chose it, confirmed, not suppressed.

    The audience (subscribers only, or readers without a subscription) needs each
    reader's entitlements and is checked batch by batch when sending.
    """
    verified = EmailAddress.objects.annotate(address=Lower("email")).filter(
        user_id=OuterRef("reader_id"), verified=True, address=Lower(OuterRef("reader__email"))
    )
    suppressed = Suppression.objects.filter(email=Lower(OuterRef("reader__email")))
    return (
        NewsletterChoice.objects.filter(
            newsletter=newsletter,
            active=True,
            reader__is_active=True,
            reader__newsletter_consent__confirmed_at__isnull=False,
        )
        .filter(Exists(verified))
        .exclude(Exists(suppressed))
        .order_by("reader_id")
        .values_list("reader_id", "reader__email")
    )
