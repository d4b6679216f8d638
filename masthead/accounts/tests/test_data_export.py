"""Download my data: everything stored about the reader, and nobody else's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masthead.access.enums import UnlockSource
from masthead.access.models import ComplimentaryAccess, GiftLink, InstitutionSeat, MeterUnlock
from masthead.access.services import month_of
from masthead.access.tests import factories
from masthead.accounts.data_export import EXPORTED_RELATIONS, NOT_EXPORTED, relation_key
from masthead.articles.tests.factories import make_article

pytestmark = pytest.mark.django_db


def _newsletter_models():
    """The newsletters app's models, found through the user's relations (their names may still change)."""
    user_model = get_user_model()
    return (
        apps.get_model("newsletters", "Delivery"),
        apps.get_model("newsletters", "Issue"),
        apps.get_model("newsletters", "Newsletter"),
        user_model._meta.get_field("newsletter_consent").related_model,
        user_model._meta.get_field("newsletter_choices").related_model,
        apps.get_model("newsletters", "Suppression"),
    )


EXPORT_URL = "/account/export.json"


def _reverse_relations() -> list:
    """Every relation that points at the user model, including hidden ones (related_name="+")."""
    return [
        field
        for field in get_user_model()._meta.get_fields(include_hidden=True)
        if field.is_relation and field.auto_created and not field.concrete
    ]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reader_with_one_of_everything():
    user = factories.reader(email="everything@uni.example")
    EmailAddress.objects.create(user=user, email="second@example.org", verified=False, primary=False)
    now = timezone.now()
    unlocked = make_article(title="The headline I unlocked")
    MeterUnlock.objects.create(
        reader=user, article=unlocked, source=UnlockSource.METER, month=month_of(now), created_at=now
    )
    shared = make_article(title="The headline I shared")
    GiftLink.objects.create(giver=user, article=shared, created_at=now, expires_at=now + dt.timedelta(days=14), opens=4)
    ComplimentaryAccess.objects.create(
        reader=user, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=30), note="Contributor"
    )
    InstitutionSeat.objects.create(institution=factories.institution(name="University of Example"), reader=user)
    user.groups.add(Group.objects.create(name="Newsletter testers"))
    _newsletter_history(user)
    return user


def _newsletter_history(user) -> None:
    Delivery, Issue, Newsletter, NewsletterConsent, NewsletterChoice, Suppression = _newsletter_models()

    now = timezone.now()
    newsletter = Newsletter.objects.order_by("pk").first() or Newsletter.objects.create(slug="daily", name="Daily")
    NewsletterConsent.objects.create(reader=user, confirmed_at=now, method="account")
    NewsletterChoice.objects.create(reader=user, newsletter=newsletter)
    issue = Issue.objects.create(newsletter=newsletter, issue_date=now.date(), subject="Today in analysis")
    Delivery.objects.create(issue=issue, reader=user, email=user.email, state="sent", sent_at=now)
    Suppression.objects.create(email=user.email, reason="bounced")


def test_every_relation_to_the_user_model_is_exported_or_deliberately_left_out():
    # A model that links to readers must be decided on: exported (data_export.EXPORTED_RELATIONS)
    # or left out with a reason (data_export.NOT_EXPORTED). Sessions have no foreign key to the
    # user (Django stores the id inside the session data), so they never appear here.
    undecided = [
        key
        for key in map(relation_key, _reverse_relations())
        if key not in EXPORTED_RELATIONS and key not in NOT_EXPORTED
    ]

    assert undecided == [], f"Decide whether the account export covers: {undecided}"


def test_the_related_objects_the_brief_names_are_all_covered():
    # The non-hidden reverse relations Django lists for the user model, one by one.
    for relation in get_user_model()._meta.related_objects:
        key = relation_key(relation)
        assert key in EXPORTED_RELATIONS or key in NOT_EXPORTED, key


def test_the_decision_lists_name_only_relations_that_exist():
    existing = set(map(relation_key, _reverse_relations()))

    assert set(EXPORTED_RELATIONS) <= existing
    assert set(NOT_EXPORTED) <= existing
    assert not set(EXPORTED_RELATIONS) & set(NOT_EXPORTED)
    assert all(reason.strip() for reason in NOT_EXPORTED.values())


def test_the_export_is_a_json_attachment_with_every_exported_section_filled():
    user = _reader_with_one_of_everything()

    response = _signed_in(user).get(EXPORT_URL)
    data = json.loads(response.content)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="the-meridian-review-my-data-')
    assert "no-store" in response["Cache-Control"]
    for section in set(EXPORTED_RELATIONS.values()):
        assert data[section], f"the export's {section!r} section is empty"
    assert dt.datetime.fromisoformat(data["generated_at"])


def test_the_export_holds_the_readers_account_addresses_unlocks_gifts_and_access():
    user = _reader_with_one_of_everything()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])

    data = _signed_in(user).get(EXPORT_URL).json()

    account = data["account"]
    assert account["email"] == "everything@uni.example"
    assert account["date_joined"] == user.date_joined.isoformat()
    assert account["last_login"] is not None
    assert account["groups"] == ["Newsletter testers"]
    assert {(a["email"], a["verified"], a["primary"]) for a in data["email_addresses"]} == {
        ("everything@uni.example", True, True),
        ("second@example.org", False, False),
    }
    [unlock] = data["meter_unlocks"]
    assert unlock["headline"] == "The headline I unlocked"
    assert unlock["source"] == "meter"
    assert unlock["url"].startswith("http://testserver/") and unlock["article_id"]
    assert unlock["unlocked_at"]
    [gift] = data["gift_links"]
    assert gift["headline"] == "The headline I shared"
    assert gift["opens"] == 4 and gift["revoked_at"] is None
    assert gift["created_at"] and gift["expires_at"]
    [grant] = data["complimentary_access"]
    assert grant["note"] == "Contributor" and grant["ends_at"]
    assert data["institution_seats"][0]["institution"] == "University of Example"
    assert data["publication"] == "The Meridian Review"
    assert data["newsletter_consent"]["confirmed_at"]
    assert data["newsletter_choices"][0]["active"] is True
    assert data["newsletter_deliveries"][0]["subject"] == "Today in analysis"
    assert data["newsletter_suppressions"][0]["email"] == "everything@uni.example"


def test_the_export_holds_only_the_signed_in_readers_data():
    other = _reader_with_one_of_everything()
    me = factories.reader(email="me@example.org")

    body = _signed_in(me).get(EXPORT_URL).content.decode()
    data = json.loads(body)

    assert other.email not in body and "second@example.org" not in body
    assert data["meter_unlocks"] == [] and data["gift_links"] == [] and data["institution_seats"] == []
    assert [address["email"] for address in data["email_addresses"]] == ["me@example.org"]


def test_the_export_needs_a_signed_in_reader():
    response = Client().get(EXPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_export_cannot_be_changed_by_a_post():
    assert _signed_in(factories.reader()).post(EXPORT_URL).status_code == 405
