"""Gated articles with a planted marker, and the readers who must not see it. Shared with the API's tests."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from masthead.access.enums import UnlockSource
from masthead.access.models import ComplimentaryAccess, MeterUnlock
from masthead.access.services import month_of
from masthead.articles.models import ArticlePage, Country
from masthead.articles.tests.factories import AuthorFactory, TopicFactory, make_article, paragraphs


@dataclass(frozen=True)
class PlantedArticle:
    article: ArticlePage
    gated_marker: str  # in the fifth of six paragraphs: after the teaser of three
    teaser_marker: str  # in the first paragraph: inside the teaser


def gated_article_with_marker(**fields) -> PlantedArticle:
    """A gated article of six paragraphs; the teaser is the first three, the marker sits in the fifth."""
    gated = f"GATED-MARKER-{uuid.uuid4()}"
    teaser = f"TEASER-MARKER-{uuid.uuid4()}"
    fields.setdefault("topics", [TopicFactory()])
    fields.setdefault("authors", [AuthorFactory()])
    fields.setdefault("countries", [Country.objects.get(code="AF")])
    fields.setdefault("free_for_everyone", False)
    article = make_article(
        title="The strait that sets the price of bread",
        dek="Shipping insurers now set the terms of passage.",
        body=paragraphs(
            f"The opening paragraph, {teaser}.",
            "The second paragraph of the teaser.",
            "The third and last paragraph of the teaser.",
            "The fourth paragraph, for readers with access.",
            f"The fifth paragraph holds the argument's core, {gated}.",
            "The sixth paragraph concludes.",
        ),
        # The pull quote is shown beside the full text only; nothing outside the page may carry it either.
        pull_quote=f"A pull quote only readers with access see, {gated}.",
        **fields,
    )
    return PlantedArticle(article=article, gated_marker=gated, teaser_marker=teaser)


def _user(prefix: str, **fields):
    return get_user_model().objects.create_user(email=f"{prefix}-{uuid.uuid4().hex[:8]}@example.org", **fields)


def _verify(user) -> None:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def unverified_reader():
    """Signed up, address not yet confirmed."""
    return _user("unverified", password=None)


def verified_reader():
    user = _user("verified", password=None)
    _verify(user)
    return user


def verified_reader_over_quota(*, quota: int = 3):
    """Confirmed address, and this month's free articles all spent on other articles."""
    user = verified_reader()
    now = timezone.now()
    for _ in range(quota):
        MeterUnlock.objects.create(
            reader=user, article=make_article(), source=UnlockSource.METER, month=month_of(now), created_at=now
        )
    return user


def complimentary_reader():
    """Full access granted by an editor, active now: reads like a subscriber."""
    user = verified_reader()
    now = timezone.now()
    ComplimentaryAccess.objects.create(
        reader=user, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=30), note="Press"
    )
    return user


def staff_reader():
    user = _user("staff", password=None, is_staff=True)
    _verify(user)
    return user


# Readers who may not read a gated article they have not unlocked, and the reason the decision gives each.
READERS_WITHOUT_ACCESS = {
    "anonymous": (None, "anonymous"),
    "signed-in unverified": (unverified_reader, "unverified"),
    "verified over quota": (verified_reader_over_quota, "meter_exhausted"),
}
READERS_WITH_ACCESS = {
    "complimentary access": (complimentary_reader, "complimentary"),
    "staff": (staff_reader, "staff"),
}


def sign_in(client, make_reader) -> None:
    if make_reader is not None:
        client.force_login(make_reader())
