"""Writes of the access app: the meter, seats, gift links. Each says who owns the truth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from masthead.core.clock import local_date

from .enums import UnlockSource
from .models import GiftLink, Institution, InstitutionSeat, MeterUnlock


def month_of(moment: dt.datetime) -> dt.date:
    """The first day of the calendar month of `moment`, in the publication's time zone."""
    return local_date(moment).replace(day=1)


@dataclass(frozen=True)
class UnlockResult:
    unlocked: bool
    already: bool = False
    remaining: int = 0


def meter_unlock(*, reader, article_id: int, quota: int, now: dt.datetime) -> UnlockResult:
    """Spend one of the reader's free articles of the month on this article.

    The database owns the truth and the count: the reader's row is locked for
    the length of the transaction (SELECT ... FOR UPDATE on PostgreSQL; SQLite
    runs IMMEDIATE transactions, one writer at a time), so concurrent requests
    from one reader are counted one after another and never exceed the quota.
    Unlocking an article already unlocked spends nothing.
    """
    month = month_of(now)
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=reader.pk).values_list("pk", flat=True).first()
        used = MeterUnlock.objects.filter(reader=reader, month=month, source=UnlockSource.METER).count()
        if MeterUnlock.objects.filter(reader=reader, article_id=article_id).exists():
            return UnlockResult(unlocked=True, already=True, remaining=max(0, quota - used))
        if used >= quota:
            return UnlockResult(unlocked=False, remaining=0)
        MeterUnlock.objects.create(
            reader=reader, article_id=article_id, source=UnlockSource.METER, month=month, created_at=now
        )
    return UnlockResult(unlocked=True, remaining=max(0, quota - used - 1))


SESSION_UNLOCKS_KEY = "masthead.access.unlocked"
SESSION_GIFTS_KEY = "masthead.access.gifts"


def registration_unlock(*, request, reader, article_id: int, now: dt.datetime) -> None:
    """The article a reader gave their email on: theirs at once in this browser, and on their account.

    It does not use the meter. Before the address is confirmed only this
    session reads it; once confirmed, every device does.
    """
    unlocked = set(request.session.get(SESSION_UNLOCKS_KEY, []))
    unlocked.add(article_id)
    request.session[SESSION_UNLOCKS_KEY] = sorted(unlocked)
    try:
        with transaction.atomic():
            MeterUnlock.objects.create(
                reader=reader,
                article_id=article_id,
                source=UnlockSource.REGISTRATION,
                month=month_of(now),
                created_at=now,
            )
    except IntegrityError:
        pass  # already unlocked, by the meter or an earlier registration


def institution_seat_claim(*, institution_id: int, reader, seat_limit: int | None) -> bool:
    """Give the reader a seat if one is free. The seat count is checked under a lock on the institution."""
    with transaction.atomic():
        Institution.objects.select_for_update().filter(pk=institution_id).values_list("pk", flat=True).first()
        if InstitutionSeat.objects.filter(institution_id=institution_id, reader=reader).exists():
            return True
        if (
            seat_limit is not None
            and InstitutionSeat.objects.filter(institution_id=institution_id).count() >= seat_limit
        ):
            return False
        InstitutionSeat.objects.create(institution_id=institution_id, reader=reader)
    return True


class GiftQuotaExceeded(Exception):
    pass


def gift_link_create(*, giver, article_id: int, monthly_quota: int, days: int, now: dt.datetime) -> GiftLink:
    """A new gift link, if the giver has any left this month (counted under a lock on the giver)."""
    month_start = timezone.make_aware(dt.datetime.combine(month_of(now), dt.time.min))
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=giver.pk).values_list("pk", flat=True).first()
        if GiftLink.objects.filter(giver=giver, created_at__gte=month_start).count() >= monthly_quota:
            raise GiftQuotaExceeded
        return GiftLink.objects.create(
            giver=giver, article_id=article_id, created_at=now, expires_at=now + dt.timedelta(days=days)
        )


def gift_link_revoke(*, gift: GiftLink, now: dt.datetime) -> None:
    if gift.revoked_at is None:
        GiftLink.objects.filter(pk=gift.pk, revoked_at__isnull=True).update(revoked_at=now)
        gift.revoked_at = now


def gift_link_open(*, request, gift: GiftLink) -> None:
    """Let this browser read the gift's article while the link lasts; count the first open per browser.

    The session remembers which gift was opened, not a permission: each
    request checks the gift again, so withdrawing a link ends it everywhere.
    """
    opened = list(request.session.get(SESSION_GIFTS_KEY, []))
    if gift.pk.hex not in opened:
        opened.append(gift.pk.hex)
        request.session[SESSION_GIFTS_KEY] = opened[-50:]
        GiftLink.objects.filter(pk=gift.pk).update(opens=F("opens") + 1)
