"""Closing a reader's account: everything personal goes; counts that never named anyone stay.

Deleting the user cascades to their email addresses (and allauth's
confirmations), meter unlocks, gift links, institution seats, complimentary
access and newsletter consent, choices and deliveries. Their sessions are found by reading the session store
(Django keeps the user id inside each session's data, not in a column):
sessions signed in as the reader and sessions half-way through signing in as
them (allauth keeps a pending sign-in code there) are deleted. The funnel's
daily counts (`FunnelCount`) have no personal data and stay, and so does a
newsletter suppression of the address (it bounced or was reported as spam):
it exists so that nothing is sent to that address again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.utils import timezone

from masthead.access.models import ComplimentaryAccess, GiftLink, InstitutionSeat, MeterUnlock

from .models import User

logger = logging.getLogger(__name__)

# Session engines whose sessions can be listed; with any other (cache, signed cookies) the
# reader's other sessions cannot be found and simply stop working: their user no longer exists.
_LISTABLE_SESSION_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}
_ALLAUTH_PENDING_LOGIN_KEY = "account_login"  # allauth.account.internal.stagekit.LOGIN_SESSION_KEY


class AccountDeletionRefused(Exception):
    """Staff accounts are closed by an administrator, never from the account page."""


@dataclass(frozen=True)
class DeletionSummary:
    """What deleting the account removes, counted for the confirmation page."""

    email_addresses: int
    unlocks: int
    gift_links: int
    institution_seats: int
    complimentary_grants: int
    newsletter_choices: int = 0
    suppressed_addresses: int = 0  # kept: addresses no newsletter may go to again


def may_delete_account(user: User) -> bool:
    """Readers may delete their own account; anyone who can open the admin may not."""
    return not (user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin"))


def _newsletter_counts(user: User) -> dict[str, int]:
    if not apps.is_installed("masthead.newsletters"):
        return {}
    choice_model: Any = User._meta.get_field("newsletter_choices").related_model
    suppression_model = apps.get_model("newsletters", "Suppression")
    addresses = [address.lower() for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True)]
    return {
        "newsletter_choices": choice_model._default_manager.filter(reader=user, active=True).count(),
        "suppressed_addresses": suppression_model._default_manager.filter(email__in=addresses).count(),
    }


def deletion_summary(*, user: User) -> DeletionSummary:
    return DeletionSummary(
        email_addresses=EmailAddress.objects.filter(user=user).count(),
        unlocks=MeterUnlock.objects.filter(reader=user).count(),
        gift_links=GiftLink.objects.filter(giver=user).count(),
        institution_seats=InstitutionSeat.objects.filter(reader=user).count(),
        complimentary_grants=ComplimentaryAccess.objects.filter(reader=user).count(),
        **_newsletter_counts(user),
    )


def _belongs_to(data: dict, *, user_id: str, allauth_user_id: str) -> bool:
    if str(data.get(SESSION_KEY, "")) == user_id:
        return True
    pending = data.get(_ALLAUTH_PENDING_LOGIN_KEY)
    return isinstance(pending, dict) and pending.get("user_pk") == allauth_user_id


def delete_sessions(*, user: User) -> int:
    """Delete every unexpired session signed in as the user or signing in as them; return how many."""
    if settings.SESSION_ENGINE not in _LISTABLE_SESSION_ENGINES:
        return 0
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    decoder = store_class()
    user_id = str(user.pk)
    allauth_user_id = user_pk_to_url_str(user)  # allauth writes integer ids in base 36
    doomed = [
        key
        for key, data in store_class.get_model_class()
        .objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator(chunk_size=2000)
        if _belongs_to(decoder.decode(data), user_id=user_id, allauth_user_id=allauth_user_id)
    ]
    for key in doomed:
        store_class(session_key=key).delete()  # also clears cached_db's cache entry
    return len(doomed)


def delete_account(*, user: User) -> DeletionSummary:
    """Delete the reader and everything personal about them, in one transaction."""
    if not may_delete_account(user):
        raise AccountDeletionRefused
    user_id = user.pk
    with transaction.atomic():
        summary = deletion_summary(user=user)
        sessions = delete_sessions(user=user)
        user.delete()
    # The log names the account by number only: the address is gone with the account.
    logger.info("Account %s deleted by its reader; %s sessions ended", user_id, sessions)
    return summary
