"""Draft the next issue of a newsletter from what was published since the last one.

The daily draft takes the articles published since the last issue's cut-off
(at most four days back); the weekly draft takes the week. Articles are
ranked by a deterministic importance score (kind, length, lead image) and laid
out in sections: top stories with two-sentence summaries, the rest of the
analysis and the briefings with one. Every summary is drafted from what every
reader may read — the full text of a free article, only the teaser of a gated
one — because the summary goes to every recipient. Editors rewrite at will.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from masthead.access.decisions import Reader, decide_access
from masthead.access.rendering import facts_for, visible_blocks
from masthead.access.teaser import DEFAULT_TEASER_PARAGRAPHS
from masthead.articles.enums import ArticleKind
from masthead.articles.models import ArticlePage
from masthead.articles.text import body_text_blocks

from ..enums import Audience, Cadence, IssueStatus, SectionKind
from ..models import Issue, Newsletter
from .summarise import summarise

KIND_WEIGHT: dict[str, float] = {
    ArticleKind.IN_DEPTH: 3.0,
    ArticleKind.DAILY_ANALYSIS: 2.0,
    ArticleKind.OPINION: 1.6,
    ArticleKind.BRIEFING: 1.0,
}
DAILY_LOOKBACK = dt.timedelta(days=4)
WEEKLY_LOOKBACK = dt.timedelta(days=7)
LAYOUT: dict[str, tuple[int, int, int]] = {
    # cadence: (top stories, latest analysis, on the radar)
    Cadence.WEEKDAYS: (3, 6, 5),
    Cadence.WEEKLY: (5, 8, 6),
}


@dataclass(frozen=True)
class Draft:
    issue: Issue
    created: bool


def shared_paragraphs(article: ArticlePage, *, default_paragraphs: int, now: dt.datetime) -> list[str]:
    """The text every reader may read: a free article in full, a gated one's teaser only."""
    decision = decide_access(reader=Reader.anonymous(), article=facts_for(article), now=now)
    return list(body_text_blocks(visible_blocks(article, decision, default_paragraphs=default_paragraphs)))


def summary_for(article: ArticlePage, *, sentences: int, default_paragraphs: int, now: dt.datetime) -> str:
    paragraphs = shared_paragraphs(article, default_paragraphs=default_paragraphs, now=now)
    return summarise(paragraphs, sentences=sentences, headline=article.title, dek=article.dek)


def importance(article: ArticlePage, *, audience: str) -> float:
    score = KIND_WEIGHT.get(article.kind, 1.0) + min(article.word_count / 1000, 2.0)
    if article.lead_image_id:
        score += 0.5
    if audience == Audience.FREE and article.free_for_everyone:
        score += 1.5  # the free newsletter leads with what its readers can read in full
    return score


def next_issue_date(newsletter: Newsletter, today: dt.date) -> dt.date:
    """Tomorrow's issue for a weekday newsletter (Monday's after a Friday); the next send day for a weekly."""
    day = today + dt.timedelta(days=1)
    if newsletter.cadence == Cadence.WEEKLY:
        while day.weekday() != newsletter.send_weekday:
            day += dt.timedelta(days=1)
        return day
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _window_start(newsletter: Newsletter, now: dt.datetime, *, before: dt.date) -> dt.datetime:
    lookback = WEEKLY_LOOKBACK if newsletter.cadence == Cadence.WEEKLY else DAILY_LOOKBACK
    earliest = now - lookback
    last = (
        Issue.objects.filter(newsletter=newsletter, covers_until__isnull=False, issue_date__lt=before)
        .order_by("-covers_until")
        .first()
    )
    return max(last.covers_until, earliest) if last and last.covers_until else earliest


def _item(article: ArticlePage, summary: str) -> dict:
    value = {"article": article.pk, "headline": "", "summary": summary}
    return {"type": "item", "value": value, "id": str(uuid.uuid4())}


def _section(kind: SectionKind, items: list[dict]) -> dict:
    return {"type": kind.value, "value": items, "id": str(uuid.uuid4())}


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def build_sections(
    newsletter: Newsletter, articles: list[ArticlePage], *, upcoming: list[ArticlePage], now: dt.datetime, teaser: int
) -> list[dict]:
    top_n, analysis_n, radar_n = LAYOUT.get(newsletter.cadence, LAYOUT[Cadence.WEEKDAYS])
    ranked = sorted(
        articles,
        key=lambda a: (-importance(a, audience=newsletter.audience), -a.first_published_at.timestamp(), a.pk),
    )
    briefings = [a for a in ranked if a.kind == ArticleKind.BRIEFING]
    analysis = [a for a in ranked if a.kind != ArticleKind.BRIEFING]
    top = analysis[:top_n]
    latest = sorted(analysis[top_n : top_n + analysis_n], key=lambda a: (-a.first_published_at.timestamp(), a.pk))
    radar = briefings[:radar_n]

    def summaries(items, sentences):
        return [_item(a, summary_for(a, sentences=sentences, default_paragraphs=teaser, now=now)) for a in items]

    sections = []
    if top:
        sections.append(_section(SectionKind.TOP_STORIES, summaries(top, 2)))
    if latest:
        sections.append(_section(SectionKind.LATEST_ANALYSIS, summaries(latest, 1)))
    if radar:
        sections.append(_section(SectionKind.ON_THE_RADAR, summaries(radar, 1)))
    if newsletter.cadence == Cadence.WEEKLY and upcoming:
        # Not yet published: the headline only; editors write what readers may expect.
        sections.append(_section(SectionKind.COMING_NEXT, [_item(a, "") for a in upcoming]))
    return sections


def _teaser_paragraphs() -> int:
    from wagtail.models import Site

    from masthead.access.models import AccessSettings

    site = Site.objects.filter(is_default_site=True).first()
    return AccessSettings.for_site(site).teaser_paragraphs if site else DEFAULT_TEASER_PARAGRAPHS


def draft_issue(
    newsletter: Newsletter, *, issue_date: dt.date | None = None, now: dt.datetime | None = None, replace: bool = False
) -> Draft:
    """The draft of the newsletter's next issue (or of `issue_date`); an existing one is kept unless `replace`."""
    now = now or timezone.now()
    issue_date = issue_date or next_issue_date(newsletter, timezone.localtime(now).date())
    existing = Issue.objects.filter(newsletter=newsletter, issue_date=issue_date).first()
    if existing is not None and not (replace and existing.status == IssueStatus.DRAFT):
        return Draft(issue=existing, created=False)

    since = _window_start(newsletter, now, before=issue_date)
    articles = list(
        ArticlePage.objects.live()
        .public()
        .filter(first_published_at__gt=since, first_published_at__lte=now)
        .order_by("-first_published_at", "pk")
    )
    upcoming = list(
        ArticlePage.objects.filter(live=False, go_live_at__gt=now, go_live_at__lte=now + WEEKLY_LOOKBACK).order_by(
            "go_live_at", "pk"
        )[:5]
    )
    sections = build_sections(newsletter, articles, upcoming=upcoming, now=now, teaser=_teaser_paragraphs())
    top = [item["value"]["article"] for s in sections if s["type"] == SectionKind.TOP_STORIES for item in s["value"]]
    by_pk = {a.pk: a for a in articles}
    lead = by_pk.get(top[0]) if top else None
    subject = _truncate(f"{newsletter.name}: {lead.title}" if lead else f"{newsletter.name}, {issue_date:%-d %B}", 150)
    others = [by_pk[pk].title for pk in top[1:3] if pk in by_pk]
    preheader = _truncate("Also: " + "; ".join(others) if others else (lead.dek if lead else ""), 200)

    with transaction.atomic():
        issue = existing or Issue(newsletter=newsletter, issue_date=issue_date)
        issue.subject = subject
        issue.preheader = preheader
        issue.sections = sections
        issue.covers_from = since
        issue.covers_until = now
        issue.drafted_automatically = True
        issue.save()
    return Draft(issue=issue, created=existing is None)


def is_issue_day(newsletter: Newsletter, day: dt.date) -> bool:
    if newsletter.cadence == Cadence.WEEKLY:
        return day.weekday() == newsletter.send_weekday
    return day.weekday() < 5


def draft_upcoming(*, now: dt.datetime | None = None) -> list[Draft]:
    """Tomorrow's issue of every active newsletter that has one, drafted if it is not yet (run daily)."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + dt.timedelta(days=1)
    return [
        draft_issue(newsletter, issue_date=tomorrow, now=now)
        for newsletter in Newsletter.objects.filter(is_active=True)
        if is_issue_day(newsletter, tomorrow)
    ]
