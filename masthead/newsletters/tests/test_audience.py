"""The readers gathered for a batch are exactly those `reader_for_user` gives, reader by reader."""

import datetime as dt
import logging

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead.access.enums import UnlockSource
from masthead.access.models import ComplimentaryAccess, MeterUnlock
from masthead.access.readers import reader_for_user
from masthead.access.services import month_of
from masthead.access.tests import factories as access_factories
from masthead.articles.tests.factories import make_article
from masthead.newsletters.audience import eligible_readers, readers_for_users

from . import factories

pytestmark = pytest.mark.django_db

profiles = st.fixed_dictionaries(
    {
        "verified": st.booleans(),
        "active": st.booleans(),
        "staff": st.sampled_from(["no", "is_staff", "superuser", "group"]),
        "complimentary": st.sampled_from(["none", "active", "expired", "future"]),
        "institution": st.sampled_from(["none", "seats", "full"]),
        "used": st.integers(min_value=0, max_value=4),
        "unlocked": st.lists(st.integers(min_value=0, max_value=2), max_size=2),
    }
)


class _Rollback(Exception):
    pass


def _make(profile, n, articles, others, now):
    user = access_factories.reader(
        email=f"p{n}@{'campus.example' if profile['institution'] != 'none' else 'example.org'}",
        verified=profile["verified"],
        is_active=profile["active"],
        is_staff=profile["staff"] == "is_staff",
        is_superuser=profile["staff"] == "superuser",
    )
    if profile["staff"] == "group":
        group, _ = Group.objects.get_or_create(name="Editors")
        group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
        user.groups.add(group)
    span = {"active": (-1, 1), "expired": (-10, -1), "future": (1, 10)}.get(profile["complimentary"])
    if span:
        ComplimentaryAccess.objects.create(
            reader=user, starts_at=now + dt.timedelta(days=span[0]), ends_at=now + dt.timedelta(days=span[1])
        )
    for article in others[: profile["used"]]:
        MeterUnlock.objects.create(
            reader=user, article=article, source=UnlockSource.METER, month=month_of(now), created_at=now
        )
    for index in set(profile["unlocked"]):
        MeterUnlock.objects.get_or_create(
            reader=user,
            article=articles[index],
            defaults={"source": UnlockSource.REGISTRATION, "month": month_of(now), "created_at": now},
        )
    return user


@pytest.fixture
def library():
    from masthead.access.entitlements import forget_institutions

    access_factories.institution(email_domains=["campus.example"], seat_limit=2)
    access_factories.institution(email_domains=["campus.example"], seat_limit=0, name="Full institution")
    forget_institutions()
    return [make_article() for _ in range(3)], [make_article() for _ in range(4)]


@given(st.lists(profiles, min_size=1, max_size=6))
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_bulk_readers_equal_reader_for_user(library, profile_list):
    articles, others = library
    now = timezone.now()
    try:
        with transaction.atomic():  # each example's readers are rolled back; the articles stay
            users = [_make(p, n, articles, others, now) for n, p in enumerate(profile_list)]
            ids = [a.pk for a in articles]
            bulk = readers_for_users(users, quota=3, article_ids=ids, now=now)
            for user in users:
                one = reader_for_user(user, quota=3, article_ids=ids, now=now)
                assert bulk[user.pk] == one, (user.email, bulk[user.pk], one)
            raise _Rollback
    except _Rollback:
        pass


def test_failed_lookup_fails_closed(monkeypatch, caplog):
    from masthead.newsletters import audience

    caplog.set_level(logging.CRITICAL, logger="masthead.newsletters.audience")  # the failure is the point

    user = access_factories.reader()
    monkeypatch.setattr(audience, "verified_ids", lambda users: 1 / 0)
    assert readers_for_users([user], quota=3, now=timezone.now())[user.pk].lookup_failed


def test_unknown_entitlement_sources_are_asked_per_reader(settings):
    from masthead.access.decisions import Entitlement
    from masthead.access.enums import EntitlementKind

    settings.ACCESS_ENTITLEMENT_SOURCES = [
        "masthead.access.entitlements.complimentary_access",
        "masthead.newsletters.tests.test_audience.everyone_subscribes",
    ]
    user = access_factories.reader()
    reader = readers_for_users([user], quota=3, now=timezone.now())[user.pk]
    assert reader.entitlements == (Entitlement(kind=EntitlementKind.SUBSCRIPTION),)


def everyone_subscribes(user, facts):
    from masthead.access.decisions import Entitlement
    from masthead.access.enums import EntitlementKind

    return [Entitlement(kind=EntitlementKind.SUBSCRIPTION)]


def test_eligible_readers_need_choice_consent_confirmed_address_and_no_suppression():
    from masthead.newsletters.preferences import suppress

    ok = factories.free_reader()
    factories.free_reader(verified=False)
    changed = factories.free_reader()
    changed.email = "new-address@example.org"  # the confirmed address was the old one
    changed.save()
    suppressed = factories.free_reader(email="Loud@Example.org")
    suppress("loud@example.org", reason="complained")
    closed = factories.free_reader(is_active=False)
    assert [row[0] for row in eligible_readers(factories.newsletter())] == [ok.pk]
    assert closed and suppressed
