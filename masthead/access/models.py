"""What access remembers: the meter, complimentary access, institutions, gift links, funnel counts."""

from __future__ import annotations

import ipaddress
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .enums import FunnelEvent, UnlockSource
from .forms import ComplimentaryAccessForm


@register_setting(icon="lock")
class AccessSettings(BaseSiteSetting):
    """The paywall's numbers, set by editors."""

    monthly_free_articles = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(100)],
        help_text="Free articles a registered reader may choose each calendar month.",
    )
    teaser_paragraphs = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Paragraphs shown before the paywall, unless an article says otherwise.",
    )
    monthly_gift_links = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(1000)], help_text="Gift links a subscriber may create each month."
    )
    gift_link_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days a gift link's recipient may read the article.",
    )

    panels = [
        MultiFieldPanel([FieldPanel("monthly_free_articles"), FieldPanel("teaser_paragraphs")], heading="Meter"),
        MultiFieldPanel([FieldPanel("monthly_gift_links"), FieldPanel("gift_link_days")], heading="Gift links"),
    ]

    class Meta:
        verbose_name = "paywall settings"


class ComplimentaryAccess(models.Model):
    """Full access granted by an editor, for a while: contributors, partners, press."""

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="complimentary_access")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="Access ends at this moment.")
    note = models.CharField(max_length=200, blank=True, help_text="Why: e.g. 'Contributor, 2027 season'.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    base_form_class = ComplimentaryAccessForm
    panels = [
        FieldPanel("reader_email"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("note"),
    ]

    class Meta:
        verbose_name = "complimentary access"
        verbose_name_plural = "complimentary access"
        indexes = [models.Index(fields=["reader", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.reader} until {self.ends_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "Access must end after it starts."})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """IPv4 and IPv6 CIDR ranges, one a line; a single address is a range of one."""
    return [ipaddress.ip_network(line, strict=False) for line in _lines(text)]


def validate_networks(text: str) -> None:
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            network = ipaddress.ip_network(stripped, strict=False)
        except ValueError:
            errors.append(f"Line {number}: '{stripped[:60]}' is not an IP address or CIDR range.")
            continue
        if network.prefixlen == 0:
            errors.append(f"Line {number}: '{stripped}' would admit the whole internet.")
    if errors:
        raise ValidationError(errors)


def validate_domains(text: str) -> None:
    errors = []
    for number, domain in enumerate(_lines(text), start=1):
        cleaned = domain.lower().lstrip("@")
        labels = cleaned.split(".")
        if len(labels) < 2 or not all(label and label.replace("-", "").isalnum() for label in labels):
            errors.append(f"Line {number}: '{domain[:60]}' is not an email domain such as example.edu.")
    if errors:
        raise ValidationError(errors)


class Institution(models.Model):
    """A university, ministry or company whose people read everything."""

    name = models.CharField(max_length=200, unique=True)
    ip_ranges = models.TextField(
        blank=True,
        validators=[validate_networks],
        help_text="IPv4 or IPv6 ranges in CIDR form, one a line (e.g. 192.0.2.0/24, 2001:db8::/48).",
    )
    email_domains = models.TextField(
        blank=True,
        validators=[validate_domains],
        help_text="Readers with a confirmed address at these domains are members, one a line (e.g. example.edu).",
    )
    seat_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Members by email domain; empty for no limit. IP access uses no seats."
    )
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Last day of access.")
    is_active = models.BooleanField(default=True)
    contact_email = models.EmailField(blank=True)

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
        FieldPanel("is_active"),
        FieldPanel("ip_ranges"),
        FieldPanel("email_domains"),
        FieldPanel("seat_limit"),
        FieldPanel("contact_email"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        networks = []
        for line in _lines(self.ip_ranges):
            try:
                networks.append(ipaddress.ip_network(line, strict=False))
            except ValueError:
                continue  # refused by the form; a bad stored line admits no one
        return networks

    @property
    def domains(self) -> set[str]:
        return {domain.lower().lstrip("@") for domain in _lines(self.email_domains)}


class InstitutionSeat(models.Model):
    """A member who reads through their institution's email domain holds one seat."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="seats")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="institution_seats")
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "reader"], name="access_one_seat_per_reader")]

    def __str__(self) -> str:
        return f"{self.reader_id} at {self.institution_id}"


class MeterUnlock(models.Model):
    """An article a reader unlocked: with a free article of the month, or by registering on it.

    Unlocks are permanent: the reader may re-read the article any time without
    using the meter again.
    """

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meter_unlocks")
    article = models.ForeignKey("articles.ArticlePage", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=UnlockSource.choices)
    month = models.DateField(help_text="First day of the month (publication time zone) of the unlock.")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reader", "article"], name="access_unlock_once_per_article")]
        indexes = [models.Index(fields=["reader", "month", "source"])]

    def __str__(self) -> str:
        return f"{self.reader_id} unlocked {self.article_id}"


class GiftLink(models.Model):
    """A subscriber's link that lets anyone read one article in full for a while."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    giver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gift_links")
    article = models.ForeignKey("articles.ArticlePage", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    opens = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["giver", "created_at"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Gift of {self.article_id} by {self.giver_id}"


class FunnelCount(models.Model):
    """How often something happened to an article on a day: compact enough to keep for years."""

    day = models.DateField()
    article_id = models.IntegerField()
    event = models.PositiveSmallIntegerField(choices=FunnelEvent.choices)
    institution_id = models.IntegerField(default=0, help_text="0 when no institution was involved.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "article_id", "event", "institution_id"], name="access_funnel_key")
        ]
        indexes = [models.Index(fields=["event", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.get_event_display()} {self.article_id}: {self.count}"
