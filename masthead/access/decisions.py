"""Who may read what: the one place Masthead decides access.

`decide_access` is a pure function of the reader, the article and the time.
Everything that shows article text — pages, feeds, the content API, search
snippets, emails — asks it and shows the teaser unless it says "full".
Nothing here touches the database, the request or the clock: callers gather
the facts (see `masthead.access.readers`) and pass them in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .enums import EntitlementKind, Offer, Reason


@dataclass(frozen=True)
class Entitlement:
    """A right to read everything for a while: a subscription, complimentary access, an institution."""

    kind: EntitlementKind
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    institution_id: int | None = None

    def active_at(self, now: dt.datetime) -> bool:
        started = self.starts_at is None or self.starts_at <= now
        not_ended = self.ends_at is None or now < self.ends_at
        return started and not_ended


@dataclass(frozen=True)
class MeterState:
    """The reader's free articles this calendar month."""

    quota: int
    used: int
    unlocked: frozenset[int] = frozenset()  # the articles in question the reader has unlocked, ever

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.used)


@dataclass(frozen=True)
class Reader:
    """Everything the decision needs to know about the person asking."""

    is_authenticated: bool = False
    is_staff: bool = False
    is_verified: bool = False
    entitlements: tuple[Entitlement, ...] = ()
    meter: MeterState | None = None
    session_unlocks: frozenset[int] = frozenset()  # articles unlocked by giving an email, this session
    gifts: tuple[tuple[int, dt.datetime], ...] = ()  # (article id, expires at) from opened gift links
    lookup_failed: bool = False

    @classmethod
    def anonymous(cls) -> Reader:
        return cls()

    @classmethod
    def failed(cls) -> Reader:
        """A reader whose entitlements or meter could not be read: they get the teaser."""
        return cls(lookup_failed=True)


@dataclass(frozen=True)
class ArticleFacts:
    id: int
    free_for_everyone: bool = False


@dataclass(frozen=True)
class Decision:
    full: bool
    reason: Reason
    offer: Offer = Offer.NONE
    meter_remaining: int | None = None
    institution_id: int | None = None
    details: dict[str, str] = field(default_factory=dict)

    @property
    def teaser(self) -> bool:
        return not self.full


_ENTITLEMENT_REASONS = {
    EntitlementKind.SUBSCRIPTION: Reason.SUBSCRIBER,
    EntitlementKind.COMPLIMENTARY: Reason.COMPLIMENTARY,
    EntitlementKind.INSTITUTION: Reason.INSTITUTION,
}
# When a reader holds several, the one named is the most specific to them.
_ENTITLEMENT_ORDER = [EntitlementKind.SUBSCRIPTION, EntitlementKind.COMPLIMENTARY, EntitlementKind.INSTITUTION]


def decide_access(*, reader: Reader, article: ArticleFacts, now: dt.datetime) -> Decision:
    """Full text or teaser for this reader and article at this time, and why.

    The order matters and fails closed: a free article is free whatever else is
    known; a failed lookup gives the teaser before any entitlement is trusted.
    """
    if article.free_for_everyone:
        return Decision(full=True, reason=Reason.FREE_ARTICLE)
    if reader.lookup_failed:
        return Decision(full=False, reason=Reason.LOOKUP_FAILED, offer=Offer.SUBSCRIBE)
    if reader.is_staff:
        return Decision(full=True, reason=Reason.STAFF)

    active = [entitlement for entitlement in reader.entitlements if entitlement.active_at(now)]
    for kind in _ENTITLEMENT_ORDER:
        for entitlement in active:
            if entitlement.kind == kind:
                return Decision(full=True, reason=_ENTITLEMENT_REASONS[kind], institution_id=entitlement.institution_id)

    if any(article_id == article.id and now < expires_at for article_id, expires_at in reader.gifts):
        return Decision(full=True, reason=Reason.GIFT_LINK)
    if article.id in reader.session_unlocks:
        return Decision(full=True, reason=Reason.REGISTRATION_ARTICLE)

    if not reader.is_authenticated:
        return Decision(full=False, reason=Reason.ANONYMOUS, offer=Offer.REGISTER)
    if not reader.is_verified:
        return Decision(full=False, reason=Reason.UNVERIFIED, offer=Offer.VERIFY)
    if reader.meter is None:
        return Decision(full=False, reason=Reason.LOOKUP_FAILED, offer=Offer.SUBSCRIBE)
    if article.id in reader.meter.unlocked:
        return Decision(full=True, reason=Reason.METER_UNLOCKED, meter_remaining=reader.meter.remaining)
    if reader.meter.remaining > 0:
        return Decision(
            full=False, reason=Reason.METER_AVAILABLE, offer=Offer.UNLOCK, meter_remaining=reader.meter.remaining
        )
    return Decision(full=False, reason=Reason.METER_EXHAUSTED, offer=Offer.SUBSCRIBE, meter_remaining=0)


_GIFT_GIVER_REASONS = {Reason.SUBSCRIBER, Reason.COMPLIMENTARY, Reason.STAFF}


def may_give_gifts(decision: Decision) -> bool:
    """Subscribers (and staff) may share an article they read with a gift link; institutions' members may not."""
    return decision.reason in _GIFT_GIVER_REASONS
