"""Newsletters, their issues, who chose them, and every email sent.

An **issue** is one edition of a newsletter (the Daily Review of 12 May).
Its **snapshot** — subject, introduction and sections with each article's
headline, dek, summary and address — is taken when sending starts, so edits
to the issue or its articles never change what the rest of the recipients get.
A **delivery** is one issue to one reader; the set of deliveries is the
recipient list, frozen when sending starts.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import PreviewableMixin

from .blocks import IssueSectionsBlock
from .enums import (
    Audience,
    Cadence,
    ConsentMethod,
    DeliveryState,
    IssueStatus,
    SkipReason,
    SuppressionReason,
)

INTRODUCTION_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class Newsletter(models.Model):
    """A newsletter readers may choose: the Daily Review, the Weekly Review, the free briefing."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, help_text="One sentence readers see when they choose.")
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.WEEKDAYS)
    send_weekday = models.PositiveSmallIntegerField(
        default=4,
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ],
        help_text="For a weekly newsletter: the day issues are drafted for.",
    )
    send_time = models.TimeField(default=dt.time(6, 30), help_text="When drafted issues are proposed for sending.")
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.ALL)
    default_for_new_readers = models.BooleanField(
        default=False, help_text="Ticked for readers who have not chosen yet; they still confirm before any is sent."
    )
    is_active = models.BooleanField(default=True, help_text="Readers may choose it and issues may be sent.")
    sort_order = models.PositiveSmallIntegerField(default=0)
    house_ad_heading = models.CharField(max_length=120, blank=True, default="Read everything we publish")
    house_ad_text = models.CharField(
        max_length=300,
        blank=True,
        default="Subscribers read every analysis in full, with no advertising in their newsletters.",
        help_text="Shown to readers without a subscription only. Leave the heading empty for no house ad.",
    )
    house_ad_url = models.URLField(
        blank=True, help_text="Where the house ad points. Empty: the subscribe page setting."
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("cadence"), FieldPanel("send_weekday"), FieldPanel("send_time")]),
        FieldRowPanel([FieldPanel("audience"), FieldPanel("default_for_new_readers")]),
        FieldRowPanel([FieldPanel("is_active"), FieldPanel("sort_order")]),
        MultiFieldPanel(
            [FieldPanel("house_ad_heading"), FieldPanel("house_ad_text"), FieldPanel("house_ad_url")],
            heading="House ad (readers without a subscription)",
        ),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("newsletters:archive_newsletter", kwargs={"slug": self.slug})


class Issue(PreviewableMixin, models.Model):
    """One edition of a newsletter, drafted for editors and sent once to every reader who chose it."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.PROTECT, related_name="issues")
    issue_date = models.DateField(help_text="The date on the issue; one issue per newsletter and date.")
    status = models.CharField(max_length=12, choices=IssueStatus.choices, default=IssueStatus.DRAFT, db_index=True)
    subject = models.CharField(max_length=150)
    preheader = models.CharField(
        max_length=200, blank=True, help_text="The line inboxes show after the subject. Not shown in the email."
    )
    introduction = RichTextField(
        features=INTRODUCTION_FEATURES, blank=True, help_text="Our take: the editors' introduction, in a few lines."
    )
    sections = StreamField(IssueSectionsBlock(), blank=True)
    covers_from = models.DateTimeField(null=True, blank=True)
    covers_until = models.DateTimeField(null=True, blank=True, help_text="Articles published up to here were drafted.")
    drafted_automatically = models.BooleanField(default=False)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    send_started_at = models.DateTimeField(null=True, blank=True)
    send_finished_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldRowPanel([FieldPanel("newsletter"), FieldPanel("issue_date")]),
        FieldPanel("subject"),
        FieldPanel("preheader"),
        FieldPanel("introduction"),
        FieldPanel("sections"),
    ]

    class Meta:
        ordering = ["-issue_date", "newsletter__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "issue_date"], name="newsletters_issue_one_per_day")
        ]
        permissions = [("send_issue", "Can schedule and send newsletter issues")]

    def __str__(self) -> str:
        return f"{self.newsletter.name}, {self.issue_date:%-d %B %Y}" if self.newsletter_id else "New issue"

    def get_absolute_url(self) -> str:
        return reverse(
            "newsletters:archive_issue",
            kwargs={"slug": self.newsletter.slug, "issue_date": self.issue_date.isoformat()},
        )

    @property
    def is_editable(self) -> bool:
        return self.status in (IssueStatus.DRAFT, IssueStatus.SCHEDULED)

    # Preview as a free reader and as a subscriber: the email itself, as each would get it.
    @property
    def preview_modes(self):
        return [("free", "As a free reader"), ("subscriber", "As a subscriber")]

    def serve_preview(self, request, mode_name):
        from django.http import HttpResponse

        from .rendering import preview_html

        return HttpResponse(preview_html(self, mode=mode_name))


class NewsletterConsent(models.Model):
    """A reader's opt-in to newsletters: nothing is sent before it is confirmed (and the address too)."""

    reader = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="newsletter_consent")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=12, choices=ConsentMethod.choices, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True, help_text="When the one opt-in invitation was sent.")

    def __str__(self) -> str:
        return f"{self.reader}: {'confirmed' if self.confirmed_at else 'not confirmed'}"


class NewsletterChoice(models.Model):
    """A reader's choice of one newsletter (not a subscription: that is an entitlement). Unsubscribing keeps
    the row, inactive, with the time."""

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="newsletter_choices")
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="choices")
    active = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "newsletter"], name="newsletters_one_choice_per_newsletter")
        ]
        indexes = [models.Index(fields=["newsletter", "active"])]

    def __str__(self) -> str:
        return f"{self.reader} → {self.newsletter} ({'on' if self.active else 'off'})"


class Suppression(models.Model):
    """An address no newsletter goes to: it bounced, complained, or an editor added it."""

    email = models.EmailField(max_length=254, unique=True, help_text="Stored in lower case.")
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    panels = [FieldPanel("email"), FieldPanel("reason"), FieldPanel("detail")]

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class Delivery(models.Model):
    """One issue to one reader: claimed by one worker, sent at most once, its outcome recorded."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    skip_reason = models.CharField(max_length=12, choices=SkipReason.choices, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    retry_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    resend_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["issue", "reader"], name="newsletters_one_delivery_per_reader")]
        indexes = [
            models.Index(fields=["issue", "state", "id"]),
            models.Index(fields=["claimed_by", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.issue} → {self.email}: {self.state}"


class SendWorker(models.Model):
    """A process sending issues. A worker whose process is gone, or silent too long, is dead: see `workers`."""

    id = models.CharField(max_length=32, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    issue = models.ForeignKey(Issue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    commit_every = models.PositiveSmallIntegerField(
        default=1,
        help_text="Emails whose outcomes it commits together: the most it can leave flagged per issue if it dies.",
    )

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"


class LinkClick(models.Model):
    """Clicks on an issue's links, counted per article and day: no record of who clicked."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="clicks")
    article_id = models.PositiveIntegerField()
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "article_id", "day"], name="newsletters_click_per_day")]

    def __str__(self) -> str:
        return f"{self.issue} / {self.article_id}: {self.count}"
