"""Drafting issues: extractive, deterministic summaries; gated articles summarised from their teaser only."""

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from masthead.access.tests import factories as access_factories
from masthead.articles.enums import ArticleKind
from masthead.articles.tests.factories import make_article, paragraphs
from masthead.newsletters.digests.drafting import draft_issue, draft_upcoming, next_issue_date, summary_for
from masthead.newsletters.digests.summarise import choose, sentences_of, split_sentences, summarise
from masthead.newsletters.enums import SectionKind
from masthead.newsletters.models import Issue

from . import factories

TEXT = [
    "The central bank raised interest rates again on Tuesday. Inflation has stayed above target for a year.",
    "Analysts expected the move. Inflation in services, driven by wages, worries the bank most.",
    "The government disagrees. Ministers say interest rates are choking investment in housing.",
    "Markets barely moved. The bank signalled that interest rates will stay high until inflation falls.",
]


def test_sentences_split_but_not_on_abbreviations():
    assert split_sentences("Dr. Amani met Mr. Osei in the U.S. capital. They talked. Then left!") == [
        "Dr. Amani met Mr. Osei in the U.S. capital.",
        "They talked.",
        "Then left!",
    ]


def test_summary_picks_the_central_sentences_in_order_and_is_deterministic():
    summary = summarise(TEXT, sentences=2, headline="Why the bank keeps interest rates high")
    assert summary == summarise(TEXT, sentences=2, headline="Why the bank keeps interest rates high")
    chosen = split_sentences(summary)
    assert len(chosen) == 2
    assert all("interest rates" in s or "inflation" in s.lower() for s in chosen)
    order = [" ".join(TEXT).index(s) for s in chosen]
    assert order == sorted(order)


def test_summary_skips_a_sentence_that_repeats_the_dek():
    dek = "The central bank raised interest rates again on Tuesday."
    assert "raised interest rates again on Tuesday" not in summarise(TEXT, sentences=1, dek=dek)


@given(st.lists(st.text(min_size=0, max_size=200), min_size=0, max_size=6), st.integers(min_value=1, max_value=3))
@settings(max_examples=150, deadline=None)
def test_summary_of_any_text_is_made_of_its_own_sentences(texts, count):
    chosen = choose(texts, sentences=count)
    assert chosen == choose(texts, sentences=count)
    assert len(chosen) <= count
    every = sentences_of(texts)
    assert all(sentence in every for sentence in chosen)
    assert [s.index for s in chosen] == sorted(s.index for s in chosen)
    assert summarise(texts, sentences=count) == " ".join(s.text for s in chosen)


@pytest.mark.django_db
def test_gated_articles_are_summarised_from_the_teaser_only():
    marker = access_factories.marker()
    body = paragraphs(
        "Energy prices rose in the region this winter.",
        "Governments subsidised energy for households.",
        "The subsidies cost more than expected.",
        f"Energy energy energy subsidies prices {marker} energy prices subsidies region households.",
        f"Energy prices subsidies {marker} households energy.",
    )
    gated = make_article(body=body, title="Energy subsidies and prices", dek="Who pays for energy?")
    free = make_article(body=body, title="Energy subsidies and prices", dek="Who pays?", free_for_everyone=True)
    now = timezone.now()
    assert marker not in summary_for(gated, sentences=3, default_paragraphs=3, now=now)
    assert marker in summary_for(free, sentences=4, default_paragraphs=3, now=now)  # free: the whole text


def test_next_issue_dates():
    daily = factories.Newsletter(cadence="weekdays")
    weekly = factories.Newsletter(cadence="weekly", send_weekday=5)
    friday = dt.date(2026, 5, 15)
    assert next_issue_date(daily, friday) == dt.date(2026, 5, 18)  # Monday after a Friday
    assert next_issue_date(daily, dt.date(2026, 5, 12)) == dt.date(2026, 5, 13)
    assert next_issue_date(weekly, friday) == dt.date(2026, 5, 16)
    assert next_issue_date(weekly, dt.date(2026, 5, 16)) == dt.date(2026, 5, 23)


@pytest.mark.django_db
def test_daily_draft_from_articles_published_since_the_last_issue():
    now = timezone.now()
    old = make_article(published_at=now - dt.timedelta(days=2))
    newsletter = factories.newsletter("daily")
    first = draft_issue(
        newsletter, issue_date=timezone.localdate() - dt.timedelta(days=1), now=now - dt.timedelta(days=1)
    )
    assert old.pk in _articles(first.issue)
    fresh = [make_article(published_at=now - dt.timedelta(hours=h), kind=ArticleKind.IN_DEPTH) for h in (1, 2)]
    briefing = make_article(published_at=now - dt.timedelta(hours=3), kind=ArticleKind.BRIEFING)
    unpublished = make_article(live=False)

    second = draft_issue(newsletter, issue_date=timezone.localdate() + dt.timedelta(days=1), now=now)

    drafted = _articles(second.issue)
    assert second.created and second.issue.drafted_automatically
    assert set(drafted) == {a.pk for a in fresh} | {briefing.pk}
    assert old.pk not in drafted and unpublished.pk not in drafted
    sections = {s.block_type: s for s in second.issue.sections}
    assert SectionKind.TOP_STORIES in sections and SectionKind.ON_THE_RADAR in sections
    assert second.issue.subject.startswith("The Daily Review: ")
    assert all(item["summary"] for s in second.issue.sections for item in s.value)
    again = draft_issue(newsletter, issue_date=second.issue.issue_date, now=now)
    assert not again.created and Issue.objects.filter(newsletter=newsletter).count() == 2


@pytest.mark.django_db
def test_weekly_draft_has_two_sentence_summaries_for_the_most_important_articles():
    now = timezone.now()
    body = paragraphs(*TEXT)
    for n in range(7):
        make_article(body=body, published_at=now - dt.timedelta(days=n % 6, hours=1), kind=ArticleKind.DAILY_ANALYSIS)
    deep = make_article(body=body * 3, published_at=now - dt.timedelta(days=3), kind=ArticleKind.IN_DEPTH)
    draft = draft_issue(factories.newsletter("weekly"), now=now)
    top = next(s for s in draft.issue.sections if s.block_type == SectionKind.TOP_STORIES)
    assert top.value[0]["article"].pk == deep.pk  # most important first
    assert len(top.value) == 5
    assert all(len(split_sentences(item["summary"])) == 2 for item in top.value)


@pytest.mark.django_db
def test_draft_upcoming_drafts_tomorrows_issues_only():
    make_article()
    drafts = draft_upcoming()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert all(d.issue.issue_date == tomorrow for d in drafts)
    if tomorrow.weekday() < 5:
        assert any(d.issue.newsletter.slug == "daily" for d in drafts)


def _articles(issue):
    return [item["article"].pk for s in issue.sections for item in s.value if item["article"]]
