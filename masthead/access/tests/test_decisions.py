"""The access decision: every reason, the order they apply in, and failing closed."""

import datetime as dt

import pytest

from masthead.access.decisions import ArticleFacts, Entitlement, MeterState, Reader, decide_access
from masthead.access.enums import EntitlementKind, Offer, Reason

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
GATED = ArticleFacts(id=10)
FREE = ArticleFacts(id=11, free_for_everyone=True)


def verified(used: int = 0, quota: int = 3, unlocked: frozenset[int] = frozenset()) -> Reader:
    return Reader(is_authenticated=True, is_verified=True, meter=MeterState(quota=quota, used=used, unlocked=unlocked))


def entitled(kind: EntitlementKind, **dates) -> Reader:
    return Reader(is_authenticated=True, is_verified=True, entitlements=(Entitlement(kind=kind, **dates),))


def decide(reader: Reader, article: ArticleFacts = GATED, now: dt.datetime = NOW):
    return decide_access(reader=reader, article=article, now=now)


def test_an_anonymous_reader_gets_the_teaser_and_the_offer_to_register():
    decision = decide(Reader.anonymous())
    assert (decision.full, decision.reason, decision.offer) == (False, Reason.ANONYMOUS, Offer.REGISTER)


def test_a_free_article_is_free_for_everyone_even_when_lookups_failed():
    assert decide(Reader.anonymous(), FREE).reason == Reason.FREE_ARTICLE
    assert decide(Reader.failed(), FREE).full


def test_a_failed_lookup_gives_the_teaser_whatever_else_the_reader_claims():
    reader = Reader(
        is_authenticated=True,
        is_staff=True,
        entitlements=(Entitlement(kind=EntitlementKind.SUBSCRIPTION),),
        session_unlocks=frozenset({GATED.id}),
        lookup_failed=True,
    )
    decision = decide(reader)
    assert (decision.full, decision.reason) == (False, Reason.LOOKUP_FAILED)


def test_staff_read_everything():
    assert decide(Reader(is_authenticated=True, is_staff=True)).reason == Reason.STAFF


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (EntitlementKind.SUBSCRIPTION, Reason.SUBSCRIBER),
        (EntitlementKind.COMPLIMENTARY, Reason.COMPLIMENTARY),
        (EntitlementKind.INSTITUTION, Reason.INSTITUTION),
    ],
)
def test_an_active_entitlement_reads_everything_and_says_which(kind, reason):
    decision = decide(entitled(kind, starts_at=NOW - dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=1)))
    assert (decision.full, decision.reason) == (True, reason)


@pytest.mark.parametrize(
    "dates", [{"ends_at": NOW}, {"starts_at": NOW + dt.timedelta(seconds=1)}], ids=["ended", "not yet started"]
)
def test_an_entitlement_outside_its_dates_leaves_the_reader_on_the_meter(dates):
    reader = Reader(
        is_authenticated=True,
        is_verified=True,
        entitlements=(Entitlement(kind=EntitlementKind.COMPLIMENTARY, **dates),),
        meter=MeterState(quota=3, used=0),
    )
    assert decide(reader).reason == Reason.METER_AVAILABLE


def test_an_anonymous_reader_on_an_institutions_network_reads_everything():
    reader = Reader(entitlements=(Entitlement(kind=EntitlementKind.INSTITUTION, institution_id=7),))
    decision = decide(reader)
    assert (decision.full, decision.reason, decision.institution_id) == (True, Reason.INSTITUTION, 7)


def test_a_subscription_is_named_before_an_institution_when_a_reader_has_both():
    reader = Reader(
        is_authenticated=True,
        entitlements=(
            Entitlement(kind=EntitlementKind.INSTITUTION, institution_id=1),
            Entitlement(kind=EntitlementKind.SUBSCRIPTION),
        ),
    )
    assert decide(reader).reason == Reason.SUBSCRIBER


def test_a_gift_link_opens_its_article_until_it_expires():
    reader = Reader(gifts=((GATED.id, NOW + dt.timedelta(days=14)),))
    assert decide(reader).reason == Reason.GIFT_LINK
    assert not decide(reader, now=NOW + dt.timedelta(days=14)).full
    assert not decide(reader, ArticleFacts(id=99)).full


def test_the_article_a_reader_registered_on_is_unlocked_in_that_session_before_verification():
    reader = Reader(is_authenticated=True, is_verified=False, session_unlocks=frozenset({GATED.id}))
    assert decide(reader).reason == Reason.REGISTRATION_ARTICLE
    assert decide(reader, ArticleFacts(id=12)).reason == Reason.UNVERIFIED


def test_an_unverified_reader_is_asked_to_confirm_their_address():
    decision = decide(Reader(is_authenticated=True))
    assert (decision.full, decision.reason, decision.offer) == (False, Reason.UNVERIFIED, Offer.VERIFY)


def test_a_verified_reader_with_free_articles_left_is_offered_one_for_this_article():
    decision = decide(verified(used=1))
    assert (decision.full, decision.reason, decision.offer) == (False, Reason.METER_AVAILABLE, Offer.UNLOCK)
    assert decision.meter_remaining == 2


def test_an_article_the_reader_unlocked_reads_in_full_even_with_the_meter_used_up():
    decision = decide(verified(used=3, unlocked=frozenset({GATED.id})))
    assert (decision.full, decision.reason) == (True, Reason.METER_UNLOCKED)


def test_a_verified_readers_fourth_article_in_a_month_shows_the_teaser_and_the_subscribe_offer():
    decision = decide(verified(used=3))
    assert (decision.full, decision.reason, decision.offer) == (False, Reason.METER_EXHAUSTED, Offer.SUBSCRIBE)


def test_a_quota_of_zero_leaves_only_the_subscribe_offer():
    assert decide(verified(used=0, quota=0)).reason == Reason.METER_EXHAUSTED


def test_a_verified_reader_whose_meter_could_not_be_read_gets_the_teaser():
    reader = Reader(is_authenticated=True, is_verified=True, meter=None)
    assert decide(reader).reason == Reason.LOOKUP_FAILED


def test_the_decision_depends_only_on_its_inputs():
    reader = verified(used=2)
    assert decide(reader) == decide(reader)
