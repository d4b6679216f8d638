from django.db import models


class Reason(models.TextChoices):
    """Why a reader sees the full text or the teaser. One decision, one reason."""

    FREE_ARTICLE = "free_article", "Free for everyone"
    STAFF = "staff", "Staff"
    SUBSCRIBER = "subscriber", "Subscriber"
    COMPLIMENTARY = "complimentary", "Complimentary access"
    INSTITUTION = "institution", "Institutional access"
    GIFT_LINK = "gift_link", "Gift link"
    REGISTRATION_ARTICLE = "registration_article", "Unlocked on registration"
    METER_UNLOCKED = "meter_unlocked", "Unlocked with a free article"
    # The teaser, and why:
    ANONYMOUS = "anonymous", "Not signed in"
    UNVERIFIED = "unverified", "Email address not yet confirmed"
    METER_AVAILABLE = "meter_available", "Free articles left this month"
    METER_EXHAUSTED = "meter_exhausted", "No free articles left this month"
    LOOKUP_FAILED = "lookup_failed", "Access could not be checked"


class Offer(models.TextChoices):
    """What the teaser invites the reader to do."""

    NONE = "none", "Nothing"
    REGISTER = "register", "Keep reading for free with an email address"
    VERIFY = "verify", "Confirm your email address"
    UNLOCK = "unlock", "Use one of your free articles"
    SUBSCRIBE = "subscribe", "Subscribe"


class EntitlementKind(models.TextChoices):
    SUBSCRIPTION = "subscription", "Subscription"
    COMPLIMENTARY = "complimentary", "Complimentary"
    INSTITUTION = "institution", "Institution"


class UnlockSource(models.TextChoices):
    METER = "meter", "A free article of the month"
    REGISTRATION = "registration", "The article the reader registered on"


class FunnelEvent(models.IntegerChoices):
    """What the conversion funnel counts, per article and day."""

    TEASER_SHOWN = 1, "Teaser shown"
    GATE_SHOWN = 2, "Registration offer shown"
    SUBSCRIBE_SHOWN = 3, "Subscription offer shown"
    UNLOCK = 4, "Free article used"
    METER_EXHAUSTED = 5, "Meter exhausted"
    REGISTRATION = 6, "Registered on the gate"
    FULL_READ = 7, "Full text shown"
    GIFT_OPENED = 8, "Gift link opened"
