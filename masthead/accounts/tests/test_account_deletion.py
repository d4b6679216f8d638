"""Delete my account: the reader confirms with their address; everything personal goes, anonymous counts stay."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masthead.access.enums import FunnelEvent, UnlockSource
from masthead.access.models import ComplimentaryAccess, FunnelCount, GiftLink, InstitutionSeat, MeterUnlock
from masthead.access.services import month_of
from masthead.access.tests import factories
from masthead.accounts.deletion import AccountDeletionRefused, delete_account
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


DELETE_URL = "/account/delete/"


def _signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _form_token(client: Client) -> str:
    page = client.get(DELETE_URL).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _confirm(client: Client, typed: str):
    return client.post(DELETE_URL, {"email": typed, "csrfmiddlewaretoken": _form_token(client)})


def _reader_with_history(email: str = "leaving@uni.example"):
    user = factories.reader(email=email)
    now = timezone.now()
    article = make_article()
    MeterUnlock.objects.create(
        reader=user, article=article, source=UnlockSource.METER, month=month_of(now), created_at=now
    )
    GiftLink.objects.create(giver=user, article=article, created_at=now, expires_at=now + dt.timedelta(days=14))
    ComplimentaryAccess.objects.create(
        reader=user, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1)
    )
    InstitutionSeat.objects.create(institution=factories.institution(), reader=user)
    FunnelCount.objects.create(day=now.date(), article_id=article.pk, event=FunnelEvent.FULL_READ, count=7)
    return user


def _personal_rows(user_id: int) -> dict[str, int]:
    return {
        "users": get_user_model().objects.filter(pk=user_id).count(),
        "email addresses": EmailAddress.objects.filter(user_id=user_id).count(),
        "unlocks": MeterUnlock.objects.filter(reader_id=user_id).count(),
        "gift links": GiftLink.objects.filter(giver_id=user_id).count(),
        "complimentary access": ComplimentaryAccess.objects.filter(reader_id=user_id).count(),
        "seats": InstitutionSeat.objects.filter(reader_id=user_id).count(),
    }


def test_the_confirmation_page_explains_what_is_deleted_and_what_is_kept():
    client = _signed_in(_reader_with_history())

    html = client.get(DELETE_URL).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    assert "What we delete" in text and "What we keep" in text
    assert "the 1 article you unlocked" in text
    assert "Your 1 gift link." in text
    assert "institution seat" in text
    assert "Counts of how often each article was read, per day" in text
    assert "To confirm, type leaving@uni.example below." in text
    assert 'method="post"' in html and 'name="csrfmiddlewaretoken"' in html


def test_a_reader_deletes_their_account_by_typing_their_address():
    user = _reader_with_history()
    client = _signed_in(user)

    response = _confirm(client, "  Leaving@Uni.example ")  # case and spaces do not matter

    assert response.status_code == 302 and response["Location"] == reverse("accounts:deleted")
    assert set(_personal_rows(user.pk).values()) == {0}
    assert FunnelCount.objects.get().count == 7  # the anonymous daily count stays
    assert client.get("/account/").status_code == 302  # signed out
    goodbye = client.get(response["Location"]).content.decode()
    assert "Your account has been deleted" in goodbye


def test_deleting_ends_the_readers_sessions_on_every_device_and_pending_sign_ins():
    _make_ids_reach_two_digits_in_base_36()
    user = _reader_with_history()
    other_device = Client()
    other_device.force_login(user)
    pending = Client()  # a second browser half-way through signing in with a code
    pending.post(reverse("account_login"), {"login": user.email})
    assert pending.session["account_login"]["user_pk"] == user_pk_to_url_str(user)  # the code's owner, in base 36
    bystander = Client()
    bystander.force_login(factories.reader())
    sessions_before = Session.objects.count()

    _confirm(_signed_in(user), user.email)

    assert other_device.get("/account/").status_code == 302
    remaining = {session.session_key for session in Session.objects.all()}
    assert other_device.session.session_key not in remaining
    assert pending.session.session_key not in remaining
    assert bystander.session.session_key in remaining
    assert Session.objects.count() < sessions_before


def _make_ids_reach_two_digits_in_base_36() -> None:
    """allauth writes user ids in base 36 (id 76 is "24"): make sure the reader's id is not the same in both."""
    User = get_user_model()
    while (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) < 36:
        User.objects.create_user(email=f"filler{User.objects.count()}@example.org")


def test_newsletter_choices_go_and_a_suppression_of_the_address_stays():
    _, _, Newsletter, NewsletterConsent, NewsletterChoice, Suppression = _newsletter_models()

    user = _reader_with_history()
    newsletter = Newsletter.objects.order_by("pk").first() or Newsletter.objects.create(slug="daily", name="Daily")
    NewsletterConsent.objects.create(reader=user, confirmed_at=timezone.now(), method="account")
    NewsletterChoice.objects.create(reader=user, newsletter=newsletter)
    Suppression.objects.create(email=user.email, reason="complained")
    client = _signed_in(user)

    page = re.sub(r"\s+", " ", client.get(DELETE_URL).content.decode())
    _confirm(client, user.email)

    assert "Your newsletter choices" in page and "newsletters must never go to" in page
    assert not NewsletterChoice.objects.filter(reader_id=user.pk).exists()
    assert not NewsletterConsent.objects.filter(reader_id=user.pk).exists()
    assert Suppression.objects.filter(email=user.email).exists()


def test_a_wrong_address_deletes_nothing_and_says_so_beside_the_field():
    user = _reader_with_history()
    client = _signed_in(user)
    before = _personal_rows(user.pk)

    response = _confirm(client, "someone-else@example.org")
    html = response.content.decode()

    assert response.status_code == 200
    assert "That is not the address of this account" in html
    assert 'aria-invalid="true"' in html and 'id="id_email_error"' in html
    assert _personal_rows(user.pk) == before
    assert client.get("/account/").status_code == 200  # still signed in


def test_an_empty_confirmation_deletes_nothing():
    user = _reader_with_history()
    client = _signed_in(user)

    response = _confirm(client, "")

    assert response.status_code == 200
    assert _personal_rows(user.pk)["users"] == 1


def test_a_post_without_the_csrf_token_is_refused():
    user = _reader_with_history()

    response = _signed_in(user).post(DELETE_URL, {"email": user.email})

    assert response.status_code == 403
    assert _personal_rows(user.pk)["users"] == 1


def test_staff_cannot_delete_their_account_here():
    editor = factories.staff(email="editor@example.org")
    client = _signed_in(editor)

    page = client.get(DELETE_URL).content.decode()
    response = client.post(DELETE_URL, {"email": editor.email, "csrfmiddlewaretoken": _token_from(page)})

    assert "Staff accounts cannot be deleted here" in page
    assert 'name="email"' not in page
    assert response.status_code == 403
    assert "Staff accounts cannot be deleted here" in response.content.decode()
    assert get_user_model().objects.filter(pk=editor.pk).exists()
    with pytest.raises(AccountDeletionRefused):
        delete_account(user=editor)


def _token_from(page: str) -> str:
    # Staff pages carry the token in the header's sign-out form.
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_superusers_cannot_delete_their_account_here_either():
    admin = get_user_model().objects.create_superuser(email="root@example.org", password="a-long-test-password-9")

    with pytest.raises(AccountDeletionRefused):
        delete_account(user=admin)


def test_deleting_needs_a_signed_in_reader():
    response = Client().get(DELETE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
