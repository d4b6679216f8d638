"""Where entitlements come from. Each source answers for one reader; the list is a setting.

A source is a callable `(user, facts) -> Iterable[Entitlement]`, where `user`
may be anonymous and `facts` carries what the request knows (client IP, time).
Stripe subscriptions join this list when billing lands; nothing else changes.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.module_loading import import_string

from masthead.core import content_version
from masthead.core.clock import local_date
from masthead.core.conf import setting
from masthead.core.memo import Memo

from .client_ip import IPAddress
from .decisions import Entitlement
from .enums import EntitlementKind
from .models import ComplimentaryAccess, Institution, InstitutionSeat

DEFAULT_SOURCES = [
    "masthead.access.entitlements.complimentary_access",
    "masthead.access.entitlements.institution_by_ip",
    "masthead.access.entitlements.institution_by_email",
]


@dataclass(frozen=True)
class RequestFacts:
    now: dt.datetime
    ip: IPAddress | None
    email_verified: bool = False


Source = Callable[..., Iterable[Entitlement]]


def sources() -> list[Source]:
    return list(_imported(tuple(setting("ACCESS_ENTITLEMENT_SOURCES", DEFAULT_SOURCES))))


@functools.cache
def _imported(paths: tuple[str, ...]) -> tuple[Source, ...]:
    return tuple(import_string(path) for path in paths)


def per_request(source: Source) -> bool:
    """A source that answers from the request (the network address) rather than the account.

    A signed-in reader's account-bound entitlements are cached under their
    access version (masthead.access.readers); per-request sources run on every
    request. Mark a source with `source.per_request = True`.
    """
    return bool(getattr(source, "per_request", False))


def complimentary_access(user, facts: RequestFacts) -> Iterable[Entitlement]:
    if not user.is_authenticated:
        return []
    # Grants that start later are included: the decision checks each entitlement's dates at its own time.
    grants = ComplimentaryAccess.objects.filter(reader=user, ends_at__gt=facts.now)
    return [
        Entitlement(kind=EntitlementKind.COMPLIMENTARY, starts_at=grant.starts_at, ends_at=grant.ends_at)
        for grant in grants
    ]


@dataclass(frozen=True)
class _InstitutionRecord:
    id: int
    starts_on: dt.date
    ends_on: dt.date
    networks: tuple
    domains: frozenset[str]
    seat_limit: int | None

    def active_on(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def entitlement(self) -> Entitlement:
        return Entitlement(kind=EntitlementKind.INSTITUTION, institution_id=self.id)


_institutions = Memo(8)


def active_institutions() -> list[_InstitutionRecord]:
    """Every active institution's ranges and domains: there are few, and every request asks.

    Kept in each process per content version, which saving or deleting an institution raises.
    """
    version = content_version.current()
    records = _institutions.get(version) if version >= 0 else None
    if records is None:
        records = [
            _InstitutionRecord(
                id=institution.pk,
                starts_on=institution.starts_on,
                ends_on=institution.ends_on,
                networks=tuple(institution.networks),
                domains=frozenset(institution.domains),
                seat_limit=institution.seat_limit,
            )
            for institution in Institution.objects.filter(is_active=True)
        ]
        if version >= 0:
            _institutions.set(version, records)
    return records


def forget_institutions() -> None:
    _institutions.clear()


def institution_by_ip(user, facts: RequestFacts) -> Iterable[Entitlement]:
    records = active_institutions() if facts.ip is not None else []
    if not records:
        return []
    today = local_date(facts.now)
    return [
        record.entitlement()
        for record in records
        if record.active_on(today) and any(facts.ip in network for network in record.networks)
    ]


institution_by_ip.per_request = True  # type: ignore[attr-defined]


def institution_by_email(user, facts: RequestFacts) -> Iterable[Entitlement]:
    if not user.is_authenticated or not facts.email_verified:
        return []
    domain = user.email.rpartition("@")[2].lower()
    today = local_date(facts.now)
    matches = [r for r in active_institutions() if r.active_on(today) and domain in r.domains]
    return [record.entitlement() for record in matches if _holds_seat(user, record)]


def _holds_seat(user, record: _InstitutionRecord) -> bool:
    """A member takes a seat on first read; when the seats are gone, newcomers get none."""
    from .services import institution_seat_claim

    if InstitutionSeat.objects.filter(institution_id=record.id, reader=user).exists():
        return True
    return institution_seat_claim(institution_id=record.id, reader=user, seat_limit=record.seat_limit)
