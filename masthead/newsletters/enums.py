"""The newsletter feature's fixed vocabularies."""

from django.db import models


class Cadence(models.TextChoices):
    WEEKDAYS = "weekdays", "Every weekday"
    WEEKLY = "weekly", "Once a week"


class Audience(models.TextChoices):
    """Who a newsletter goes to; checked for every recipient when their batch is claimed."""

    ALL = "all", "Every registered reader"
    SUBSCRIBERS = "subscribers", "Readers with an entitlement (subscribers, complimentary, institutions)"
    FREE = "free", "Registered readers without an entitlement"


class IssueStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    STARTING = "starting", "Freezing the recipient list"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"


class SectionKind(models.TextChoices):
    TOP_STORIES = "top_stories", "Top stories"
    LATEST_ANALYSIS = "latest_analysis", "Latest analysis"
    ON_THE_RADAR = "on_the_radar", "On the radar"
    COMING_NEXT = "coming_next", "Coming next"


class DeliveryState(models.TextChoices):
    """pending → sending → sent | failed | unknown; skipped when the reader left before their batch."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Outcome unknown (flagged)"
    SKIPPED = "skipped", "Skipped"


class SkipReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed before their batch"
    SUPPRESSED = "suppressed", "Address suppressed (bounce or complaint)"
    UNVERIFIED = "unverified", "Address not confirmed"
    INACTIVE = "inactive", "Account closed or deactivated"
    AUDIENCE = "audience", "Not in the newsletter's audience"


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Marked as spam"
    REJECTED = "rejected", "Rejected by the sending service"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed at the sending service"
    MANUAL = "manual", "Added by an editor"


class ConsentMethod(models.TextChoices):
    ACCOUNT = "account", "Chosen while signed in"
    EMAIL_LINK = "email_link", "Confirmed from a link in an email"
    EDITOR = "editor", "Imported by an editor"
