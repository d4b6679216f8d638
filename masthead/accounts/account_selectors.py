"""Reads for the reader's account page: their address, entitlements, meter and reading history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.db.models import QuerySet
from django.utils import timezone

from masthead.access.enums import UnlockSource
from masthead.access.models import ComplimentaryAccess, GiftLink, InstitutionSeat, MeterUnlock
from masthead.access.services import month_of

from .models import User


@dataclass(frozen=True)
class EmailStatus:
    address: str
    verified: bool


def email_status(*, user: User) -> EmailStatus:
    """The reader's sign-in address and whether they have confirmed it (allauth keeps the record)."""
    verified = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    return EmailStatus(address=user.email, verified=verified)


def is_staff(user: User) -> bool:
    """Staff as the paywall sees them: anyone who may open the Wagtail admin."""
    return user.is_active and (user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin"))


@dataclass(frozen=True)
class AccountAccess:
    """The reader's entitlements now, in the terms the account page states them."""

    staff: bool = False
    complimentary_until: dt.datetime | None = None
    institutions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def entitled(self) -> bool:
        """Whether the reader reads everything, so the meter does not count for them."""
        return self.staff or self.complimentary_until is not None or bool(self.institutions)

    @property
    def may_give_gifts(self) -> bool:
        """Subscribers, complimentary readers and staff share gift links; institutions' members do not."""
        return self.staff or self.complimentary_until is not None


def account_access(*, user: User, now: dt.datetime) -> AccountAccess:
    """Complimentary access active now (the grant that lasts longest) and seats held at active institutions.

    Institution access by IP range belongs to the network, not the account, so it is not listed.
    Reading this never takes a seat: seats are claimed on reading an article.
    """
    grant = (
        ComplimentaryAccess.objects.filter(reader=user, starts_at__lte=now, ends_at__gt=now)
        .order_by("-ends_at")
        .first()
    )
    today = timezone.localdate(now)
    institutions = tuple(
        InstitutionSeat.objects.filter(
            reader=user,
            institution__is_active=True,
            institution__starts_on__lte=today,
            institution__ends_on__gte=today,
        )
        .order_by("institution__name")
        .values_list("institution__name", flat=True)
    )
    return AccountAccess(
        staff=is_staff(user),
        complimentary_until=grant.ends_at if grant else None,
        institutions=institutions,
    )


@dataclass(frozen=True)
class MeterMonth:
    """The reader's free articles of this calendar month."""

    month: dt.date
    quota: int
    used: int
    unlocks: tuple[MeterUnlock, ...]

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.used)

    @property
    def next_month(self) -> dt.date:
        """When the meter starts again."""
        return (self.month + dt.timedelta(days=32)).replace(day=1)


def meter_month(*, user: User, quota: int, now: dt.datetime) -> MeterMonth:
    """The free articles the reader chose this month (publication time zone), first chosen first."""
    month = month_of(now)
    unlocks = tuple(
        MeterUnlock.objects.filter(reader=user, month=month, source=UnlockSource.METER)
        .select_related("article")
        .order_by("created_at", "pk")
    )
    return MeterMonth(month=month, quota=quota, used=len(unlocks), unlocks=unlocks)


def reading_history(*, user: User) -> QuerySet[MeterUnlock]:
    """Every article the reader has unlocked, by the meter or by registering on it, newest first."""
    return MeterUnlock.objects.filter(reader=user).select_related("article").order_by("-created_at", "-pk")


def has_gift_links(*, user: User) -> bool:
    return GiftLink.objects.filter(giver=user).exists()
