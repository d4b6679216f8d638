"""Writes about readers' accounts. allauth owns sign-in, codes and address verification;
these services call into it at one boundary so its internals are touched in one place.
"""

from __future__ import annotations

from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from masthead.access import funnel
from masthead.access.enums import FunnelEvent
from masthead.access.services import registration_unlock

from .models import User

SESSION_GATE_EMAIL_KEY = "masthead.accounts.gate_email"


def reader_find_or_create(*, email: str) -> User:
    """The reader with this address, created (unconfirmed, without a password) if there is none."""
    email = User.objects.normalize_email(email).strip()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email.lower())
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
            return user
    except IntegrityError:
        # Another request registered the same address a moment ago.
        return User.objects.get(email__iexact=email)


def reader_gate(*, request: HttpRequest, email: str, article_id: int) -> None:
    """Someone gave their email address on a gated article.

    Whoever they are — new, registered, confirmed or not — the same things
    happen, so the response tells nothing about who has an account: the
    article opens in this browser, and a one-time code goes to the address.
    Entering the code proves the address, confirms it and signs the reader in.
    """
    now = timezone.now()
    reader = reader_find_or_create(email=email)
    registration_unlock(request=request, reader=reader, article_id=article_id, now=now)
    if reader.is_active:
        LoginCodeVerificationProcess.initiate(request=request, user=reader, email=reader.email)
    request.session[SESSION_GATE_EMAIL_KEY] = reader.email
    funnel.record(FunnelEvent.REGISTRATION, article_id=article_id, now=now)
