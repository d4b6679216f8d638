"""Readers who chose newsletters, issues made of articles, and helpers to read what was sent."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from masthead.access.tests import factories as access_factories
from masthead.newsletters.enums import ConsentMethod, IssueStatus, SectionKind
from masthead.newsletters.models import Issue, Newsletter, NewsletterChoice, NewsletterConsent


def newsletter(slug: str = "daily") -> Newsletter:
    return Newsletter.objects.get(slug=slug)


def opt_in(user, *slugs: str) -> None:
    now = timezone.now()
    NewsletterConsent.objects.update_or_create(
        reader=user, defaults={"confirmed_at": now, "method": ConsentMethod.ACCOUNT}
    )
    for slug in slugs or ("daily",):
        NewsletterChoice.objects.update_or_create(
            reader=user, newsletter=newsletter(slug), defaults={"active": True, "changed_at": now}
        )


def free_reader(*slugs: str, **fields):
    user = access_factories.reader(**fields)
    opt_in(user, *slugs)
    return user


def subscriber(*slugs: str, **fields):
    user = access_factories.subscriber(**fields)
    opt_in(user, *slugs)
    return user


def item(article, summary: str = "", headline: str = "") -> dict:
    value = {"article": article.pk if article else None, "headline": headline, "summary": summary}
    return {"type": "item", "value": value, "id": str(uuid.uuid4())}


def make_issue(
    articles=(),
    *,
    slug: str = "daily",
    issue_date: dt.date | None = None,
    sections: dict | None = None,
    subject: str = "Today in analysis",
    introduction: str = "<p>Our take on the day.</p>",
    status: str = IssueStatus.DRAFT,
) -> Issue:
    if sections is None:
        sections = {SectionKind.TOP_STORIES: [item(a, f"Summary of {a.title}.") for a in articles]}
    stream = [{"type": str(kind), "value": items} for kind, items in sections.items() if items]
    issue = Issue(
        newsletter=newsletter(slug),
        issue_date=issue_date or timezone.localdate(),
        subject=subject,
        preheader="What we published today",
        introduction=introduction,
        status=status,
    )
    issue.sections = stream
    issue.save()
    return issue
