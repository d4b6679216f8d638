"""Everything Masthead stores about a reader, as one JSON document ("Download my data").

Every relation that points at the user model is either exported here
(`EXPORTED_RELATIONS`) or named with a reason in `NOT_EXPORTED`; a test fails
when a new model links to readers and nobody decided which. Sessions are not
linked by a foreign key (Django keeps the user id inside the session data), so
no relation names them: they hold the sign-in itself, the articles unlocked on
registration in that browser and gift links opened there, and expire.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Site

from masthead.access.models import ComplimentaryAccess, GiftLink, InstitutionSeat, MeterUnlock

from .models import User

# "<app label>.<Model>.<field>" of each relation to the user -> the key of the export that holds it.
EXPORTED_RELATIONS: dict[str, str] = {
    "account.EmailAddress.user": "email_addresses",
    "access.MeterUnlock.reader": "meter_unlocks",
    "access.GiftLink.giver": "gift_links",
    "access.ComplimentaryAccess.reader": "complimentary_access",
    "access.InstitutionSeat.reader": "institution_seats",
    "newsletters.NewsletterConsent.reader": "newsletter_consent",
    "newsletters.NewsletterChoice.reader": "newsletter_choices",
    "newsletters.Delivery.reader": "newsletter_deliveries",
    # The user's group memberships and permissions (Django's own join tables) are part of "account".
    "accounts.User_groups.user": "account",
    "accounts.User_user_permissions.user": "account",
}

# Relations deliberately left out, and why. Readers never have these: they are editors' work in the
# Wagtail admin, which belongs to the publication, or records about someone else.
_EDITORIAL = "Editorial work or admin state of staff in the Wagtail admin; readers cannot create it."
NOT_EXPORTED: dict[str, str] = {
    "access.ComplimentaryAccess.granted_by": "The editor who granted another reader's access: that reader's record.",
    "newsletters.Delivery.resend_confirmed_by": "The editor who confirmed resending another reader's newsletter.",
    "newsletters.Issue.scheduled_by": _EDITORIAL + " (newsletter issues)",
    "admin.LogEntry.user": _EDITORIAL + " (Django admin history)",
    "core.MastheadImage.uploaded_by_user": _EDITORIAL,
    "wagtailimages.Image.uploaded_by_user": _EDITORIAL,
    "wagtaildocs.Document.uploaded_by_user": _EDITORIAL,
    "wagtailcore.UploadedFile.uploaded_by_user": _EDITORIAL,
    "wagtailcore.Revision.user": _EDITORIAL,
    "wagtailcore.PageLogEntry.user": _EDITORIAL + " (page history)",
    "wagtailcore.ModelLogEntry.user": _EDITORIAL + " (snippet and settings history)",
    "wagtailcore.Page.owner": _EDITORIAL,
    "wagtailcore.Page.locked_by": _EDITORIAL,
    "wagtailcore.WorkflowState.requested_by": _EDITORIAL,
    "wagtailcore.TaskState.finished_by": _EDITORIAL,
    "wagtailcore.Comment.user": _EDITORIAL + " (comments on drafts)",
    "wagtailcore.Comment.resolved_by": _EDITORIAL,
    "wagtailcore.CommentReply.user": _EDITORIAL,
    "wagtailcore.PageSubscription.user": _EDITORIAL + " (comment notifications)",
    "wagtailcore.APIToken.user": _EDITORIAL,
    "wagtailadmin.EditingSession.user": _EDITORIAL,
    "wagtailadmin.FormState.user": _EDITORIAL,
    "wagtailusers.UserProfile.user": _EDITORIAL + " (admin language, time zone and avatar)",
}


def relation_key(relation) -> str:
    """`<app label>.<Model>.<field>` for a reverse relation to the user model."""
    return f"{relation.related_model._meta.label}.{relation.field.name}"


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _article(request: HttpRequest, article) -> dict[str, Any]:
    url = article.get_url(request)
    return {
        "article_id": article.pk,
        "headline": article.title,
        "url": request.build_absolute_uri(url) if url else None,
    }


def _newsletters(user: User) -> dict[str, Any]:
    """The reader's newsletter consent, choices, deliveries and any suppression of their addresses.

    The newsletters app's models are reached through the user's relations and the app registry, so
    this module does not break when that app renames a model; the relation test above catches it.
    """
    if not apps.is_installed("masthead.newsletters"):
        return {}
    consent_model: Any = User._meta.get_field("newsletter_consent").related_model
    choice_model: Any = User._meta.get_field("newsletter_choices").related_model
    delivery_model = apps.get_model("newsletters", "Delivery")
    suppression_model = apps.get_model("newsletters", "Suppression")
    consent = consent_model._default_manager.filter(reader=user).first()
    addresses = [address.lower() for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True)]
    return {
        "newsletter_consent": (
            {
                "confirmed_at": _when(consent.confirmed_at),
                "method": consent.method,
                "invited_at": _when(consent.invited_at),
            }
            if consent
            else None
        ),
        "newsletter_choices": [
            {"newsletter": choice.newsletter.name, "active": choice.active, "changed_at": _when(choice.changed_at)}
            for choice in choice_model._default_manager.filter(reader=user)
            .select_related("newsletter")
            .order_by("newsletter__name")
        ],
        "newsletter_deliveries": [
            {
                "newsletter": delivery.issue.newsletter.name,
                "issue_date": delivery.issue.issue_date.isoformat(),
                "subject": delivery.issue.subject,
                "email": delivery.email,
                "state": delivery.state,
                "sent_at": _when(delivery.sent_at),
            }
            for delivery in delivery_model._default_manager.filter(reader=user)
            .select_related("issue__newsletter")
            .order_by("issue__issue_date", "pk")
        ],
        # Not linked by a foreign key: addresses no newsletter goes to, matched by address.
        "newsletter_suppressions": [
            {"email": row.email, "reason": row.reason, "since": _when(row.created_at)}
            for row in suppression_model._default_manager.filter(email__in=addresses).order_by("created_at")
        ],
    }


def export_reader_data(*, request: HttpRequest, user: User, now: dt.datetime) -> dict[str, Any]:
    """The reader's data as plain JSON types, in the order a person would read it."""
    site = Site.find_for_request(request)
    return {
        "publication": (site.site_name if site else "") or settings.WAGTAIL_SITE_NAME,
        "generated_at": now.isoformat(),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "has_password": user.has_usable_password(),
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "permissions": sorted(
                f"{app}.{codename}"
                for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
            ),
        },
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "meter_unlocks": [
            {
                **_article(request, unlock.article),
                "source": unlock.source,
                "source_label": unlock.get_source_display(),
                "month": unlock.month.isoformat(),
                "unlocked_at": _when(unlock.created_at),
            }
            for unlock in MeterUnlock.objects.filter(reader=user).select_related("article").order_by("created_at")
        ],
        "gift_links": [
            {
                **_article(request, gift.article),
                "created_at": _when(gift.created_at),
                "expires_at": _when(gift.expires_at),
                "revoked_at": _when(gift.revoked_at),
                "opens": gift.opens,
            }
            for gift in GiftLink.objects.filter(giver=user).select_related("article").order_by("created_at")
        ],
        "complimentary_access": [
            {
                "starts_at": _when(grant.starts_at),
                "ends_at": _when(grant.ends_at),
                "note": grant.note,
                "granted_at": _when(grant.created_at),
            }
            for grant in ComplimentaryAccess.objects.filter(reader=user).order_by("starts_at")
        ],
        "institution_seats": [
            {"institution": seat.institution.name, "claimed_at": _when(seat.claimed_at)}
            for seat in InstitutionSeat.objects.filter(reader=user).select_related("institution").order_by("claimed_at")
        ],
        **_newsletters(user),
    }
