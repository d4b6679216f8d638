"""Readers of every kind, and articles with a marker planted in their gated part."""

from __future__ import annotations

import datetime as dt
import uuid

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from masthead.access.enums import UnlockSource
from masthead.access.models import ComplimentaryAccess, Institution, MeterUnlock
from masthead.access.services import month_of
from masthead.articles.tests.factories import make_article, paragraphs

_sequence = iter(range(1, 10**9))


def reader(*, email: str | None = None, verified: bool = True, **fields):
    user = get_user_model().objects.create_user(email=email or f"reader{next(_sequence)}@example.org", **fields)
    if verified:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def subscriber(**fields):
    """A reader with complimentary access, the entitlement that stands in for a subscription until billing exists."""
    user = reader(**fields)
    now = timezone.now()
    ComplimentaryAccess.objects.create(
        reader=user, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=30)
    )
    return user


def staff(**fields):
    return reader(is_staff=True, **fields)


def use_meter(user, *, count: int, now: dt.datetime | None = None) -> None:
    """Spend `count` of the reader's free articles this month on other articles."""
    now = now or timezone.now()
    for _ in range(count):
        other = make_article()
        MeterUnlock.objects.create(
            reader=user, article=other, source=UnlockSource.METER, month=month_of(now), created_at=now
        )


def institution(**fields) -> Institution:
    today = timezone.localdate()
    defaults = {
        "name": f"Institution {next(_sequence)}",
        "starts_on": today - dt.timedelta(days=30),
        "ends_on": today + dt.timedelta(days=365),
    }
    return Institution.objects.create(**{**defaults, **fields})


def marker() -> str:
    """A string found nowhere else. Letters only after the prefix: a random hex part such as `1e57...`
    would be read as a number by PostgreSQL's text search parser, and searching for it would flake."""
    return "GATED-MARKER-" + uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))


def gated_article(gated_marker: str, **fields):
    """Six paragraphs; the teaser shows three; the marker sits in the fifth."""
    texts = [
        "Teaser paragraph one sets out the question.",
        "Teaser paragraph two gives the background.",
        "Teaser paragraph three states the argument.",
        "Paragraph four develops it.",
        f"Paragraph five holds the marker {gated_marker} deep in the gated part.",
        "Paragraph six concludes.",
    ]
    return make_article(body=paragraphs(*texts), **fields)
