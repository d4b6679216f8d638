"""Readers' choices: which newsletters, the opt-in, unsubscribing, suppressed addresses, invitations.

Double opt-in: a reader gets a newsletter only when (1) they chose it and
confirmed the choice — on the preferences page while signed in, or with the
button behind a link emailed to them — and (2) their address is confirmed
(allauth's `EmailAddress.verified`). A reader with a confirmed address who
never chose is sent one invitation (`invite_unconfirmed`) with the defaults
ticked; nothing else reaches them until they confirm.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from masthead.accounts.selectors import user_email_verified

from .enums import Audience, SuppressionReason
from .models import Newsletter, NewsletterChoice, NewsletterConsent, Suppression
from .tokens import preferences_token

logger = logging.getLogger(__name__)


def reader_is_entitled(user) -> bool:
    from masthead.access.readers import reader_for_user

    from .audience import is_entitled
    from .sending import meter_quota

    now = timezone.now()
    return is_entitled(reader_for_user(user, quota=meter_quota(), now=now), now)


def available_newsletters(user) -> list[Newsletter]:
    """The active newsletters this reader may choose: subscribers' ones only for entitled readers."""
    newsletters = list(Newsletter.objects.filter(is_active=True))
    if any(n.audience != Audience.ALL for n in newsletters):
        entitled = reader_is_entitled(user)
        newsletters = [
            n for n in newsletters if n.audience == Audience.ALL or (n.audience == Audience.SUBSCRIBERS) == entitled
        ]
    return newsletters


def consent_of(user) -> NewsletterConsent | None:
    return NewsletterConsent.objects.filter(reader=user).first()


def has_confirmed(user) -> bool:
    return NewsletterConsent.objects.filter(reader=user, confirmed_at__isnull=False).exists()


def current_choices(user, available: Iterable[Newsletter]) -> set[int]:
    """The newsletters ticked for this reader: their choices, or the defaults if they never chose."""
    rows = dict(NewsletterChoice.objects.filter(reader=user).values_list("newsletter_id", "active"))
    if not rows and not has_confirmed(user):
        return {n.pk for n in available if n.default_for_new_readers}
    return {newsletter_id for newsletter_id, active in rows.items() if active}


def active_choices(user) -> list[Newsletter]:
    return list(Newsletter.objects.filter(choices__reader=user, choices__active=True, is_active=True).distinct())


def save_choices(
    user, *, chosen_ids: Iterable[int], available: Iterable[Newsletter], method: str, now: dt.datetime | None = None
) -> None:
    """Record the reader's choice among `available` and their opt-in (the choice is the confirmation)."""
    now = now or timezone.now()
    chosen = set(chosen_ids)
    with transaction.atomic():
        for newsletter in available:
            NewsletterChoice.objects.update_or_create(
                reader=user, newsletter=newsletter, defaults={"active": newsletter.pk in chosen, "changed_at": now}
            )
        consent, _ = NewsletterConsent.objects.get_or_create(reader=user)
        if consent.confirmed_at is None and chosen:
            consent.confirmed_at = now
            consent.method = method
            consent.save(update_fields=["confirmed_at", "method"])


def unsubscribe(*, reader_id: int, newsletter_id: int, now: dt.datetime | None = None) -> bool:
    """Stop one newsletter for a reader. Takes effect for the next batch of any send in progress."""
    now = now or timezone.now()
    updated = NewsletterChoice.objects.filter(reader_id=reader_id, newsletter_id=newsletter_id).update(
        active=False, changed_at=now
    )
    if not updated:
        try:
            with transaction.atomic():
                NewsletterChoice.objects.create(
                    reader_id=reader_id, newsletter_id=newsletter_id, active=False, changed_at=now
                )
        except IntegrityError:  # created meanwhile by another request
            NewsletterChoice.objects.filter(reader_id=reader_id, newsletter_id=newsletter_id).update(
                active=False, changed_at=now
            )
    return True


def unsubscribe_all(*, reader_id: int, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return NewsletterChoice.objects.filter(reader_id=reader_id, active=True).update(active=False, changed_at=now)


def suppress(address: str, *, reason: str, detail: str = "") -> Suppression:
    address = address.strip().lower()
    suppression, created = Suppression.objects.get_or_create(
        email=address, defaults={"reason": reason, "detail": detail[:300]}
    )
    if created:
        logger.info("Suppressed %s (%s)", address, reason)
    return suppression


def unsuppress(address: str) -> int:
    return Suppression.objects.filter(email=address.strip().lower()).delete()[0]


def is_suppressed(address: str) -> bool:
    return Suppression.objects.filter(email=address.strip().lower()).exists()


# --- Invitations: the opt-in confirmation for readers who never chose ------------------------------


def invitation_url(user) -> str:
    path = reverse("newsletters:public_preferences", kwargs={"token": preferences_token(user.pk)})
    return settings.NEWSLETTER_BASE_URL.rstrip("/") + path + "?invite=1"


def send_invitation(user, *, now: dt.datetime | None = None) -> bool:
    """One email asking a confirmed reader to confirm the newsletters ticked for them. Never sent twice."""
    now = now or timezone.now()
    if not user.is_active or not user_email_verified(user=user) or is_suppressed(user.email):
        return False
    with transaction.atomic():
        consent, _ = NewsletterConsent.objects.select_for_update().get_or_create(reader=user)
        if consent.confirmed_at or consent.invited_at:
            return False
        consent.invited_at = now
        consent.save(update_fields=["invited_at"])
    available = available_newsletters(user)
    defaults = [n for n in available if n.default_for_new_readers] or available
    context = {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "newsletters": defaults,
        "confirm_url": invitation_url(user),
    }
    message = EmailMultiAlternatives(
        subject="Would you like our newsletters? Confirm to start receiving them",
        body=render_to_string("newsletters/email/invitation.txt", context),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(render_to_string("newsletters/email/invitation.html", context), "text/html")
    message.send()
    return True


def invite_unconfirmed(*, limit: int = 1000) -> int:
    """Invite readers with a confirmed address who never opted in and were never invited."""
    from allauth.account.models import EmailAddress

    User = get_user_model()
    verified_users = EmailAddress.objects.filter(verified=True).values("user_id")
    candidates = (
        User.objects.filter(is_active=True, pk__in=verified_users)
        .exclude(newsletter_consent__confirmed_at__isnull=False)
        .exclude(newsletter_consent__invited_at__isnull=False)
        .order_by("pk")[:limit]
    )
    return sum(1 for user in candidates if send_invitation(user))


SUPPRESSING_EVENTS = {
    "bounced": SuppressionReason.BOUNCED,
    "complained": SuppressionReason.COMPLAINED,
    "rejected": SuppressionReason.REJECTED,
    "unsubscribed": SuppressionReason.UNSUBSCRIBED,
}
