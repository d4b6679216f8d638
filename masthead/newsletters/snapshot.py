"""What an issue says, fixed when sending starts: the same for every recipient, before access is applied.

The snapshot is plain data (JSON in `Issue.snapshot`): sending, the web
archive and previews all render from it, so an edit to the issue or to one of
its articles after sending started changes nothing for the rest of the list.
It holds no gated text: each article's headline, dek, the editors' summary,
its address and lead image, and whether it is gated.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urljoin

import nh3
from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.rich_text import expand_db_html

from masthead.articles.models import ArticleAuthor, ArticlePage

from .enums import SectionKind
from .models import Issue

SNAPSHOT_VERSION = 1
INTRODUCTION_TAGS = {"p", "a", "strong", "em", "b", "i", "ul", "ol", "li", "br"}
IMAGE_SPEC = "fill-560x315|format-jpeg"
IMAGE_SECTIONS = {SectionKind.TOP_STORIES.value}
_RELATIVE_HREF = re.compile(r'href="(/[^"]*)"')


def base_url() -> str:
    return settings.NEWSLETTER_BASE_URL.rstrip("/")


def absolute(url: str) -> str:
    if not url:
        return ""
    return url if url.startswith(("http://", "https://")) else urljoin(base_url() + "/", url.lstrip("/"))


def sanitise_introduction(source: str) -> str:
    """The editors' rich text as email-safe HTML: Wagtail's links expanded and made absolute, then nh3."""
    if not source or not strip_tags(source).strip():
        return ""
    html = expand_db_html(source)
    html = _RELATIVE_HREF.sub(lambda m: f'href="{absolute(m.group(1))}"', html)
    return nh3.clean(
        html,
        tags=INTRODUCTION_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
        strip_comments=True,
    )


def introduction_text(html: str) -> str:
    """The sanitised introduction as plain text: paragraphs apart, links written out."""
    if not html:
        return ""
    text = re.sub(r'<a href="([^"]*)"[^>]*>(.*?)</a>', lambda m: f"{m.group(2)} ({m.group(1)})", html, flags=re.S)
    text = re.sub(r"<li[^>]*>", "- ", text)
    text = re.sub(r"</(p|li|ul|ol)>|<br\s*/?>", "\n", text)
    from html import unescape

    lines = [" ".join(line.split()) for line in unescape(strip_tags(text)).split("\n")]
    paragraphs, current = [], []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


def _articles(ids: set[int]) -> dict[int, ArticlePage]:
    if not ids:
        return {}
    queryset = (
        ArticlePage.objects.filter(pk__in=ids)
        .select_related("lead_image")
        .prefetch_related(
            Prefetch("article_authors", queryset=ArticleAuthor.objects.select_related("author").order_by("sort_order"))
        )
    )
    return {article.pk: article for article in queryset}


def _byline(article: ArticlePage) -> str:
    names = [link.author.name for link in article.article_authors.all()]
    if not names:
        return ""
    return "By " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def _image(article: ArticlePage) -> dict | None:
    if not article.lead_image:
        return None
    try:
        rendition = article.lead_image.get_rendition(IMAGE_SPEC)
    except Exception:  # a missing or broken file must not stop an issue
        return None
    return {
        "url": absolute(rendition.url),
        "alt": article.lead_image.alt_text,
        "width": rendition.width,
        "height": rendition.height,
    }


def _article_url(article: ArticlePage) -> str:
    parts = article.get_url_parts()
    if not parts or not article.live:
        return ""
    return absolute(parts[2])


def article_ids_in(issue: Issue) -> set[int]:
    ids = set()
    for section in issue.sections:
        for item in section.value:
            article = item.get("article")
            if article is not None:
                ids.add(article.pk)
    return ids


def build_snapshot(issue: Issue, *, now: dt.datetime | None = None) -> dict:
    """The issue as it will be sent. Works on an unsaved issue too (previews)."""
    now = now or timezone.now()
    articles = _articles(article_ids_in(issue))
    sections = []
    for section in issue.sections:
        kind = section.block_type
        items = []
        for value in section.value:
            chosen = value.get("article")
            article = articles.get(chosen.pk) if chosen is not None else None
            headline = (value.get("headline") or "").strip()
            summary = (value.get("summary") or "").strip()
            if article is None:
                if not headline:
                    continue
                items.append({"article_id": None, "headline": headline, "summary": summary, "url": "", "gated": False})
                continue
            items.append(
                {
                    "article_id": article.pk,
                    "headline": headline or article.title,
                    "dek": article.dek,
                    "summary": summary,
                    "url": _article_url(article),
                    "gated": not article.free_for_everyone,
                    "kind": article.get_kind_display(),
                    "byline": _byline(article),
                    "minutes": article.reading_minutes,
                    "image": _image(article) if kind in IMAGE_SECTIONS else None,
                }
            )
        if items:
            sections.append({"kind": kind, "title": SectionKind(kind).label, "items": items})
    introduction = sanitise_introduction(issue.introduction)
    newsletter = issue.newsletter
    return {
        "version": SNAPSHOT_VERSION,
        "taken_at": now.isoformat(),
        "issue": {
            "id": issue.pk,
            "date": issue.issue_date.isoformat() if issue.issue_date else "",
            "date_label": f"{issue.issue_date:%A %-d %B %Y}" if issue.issue_date else "",
            "subject": issue.subject,
            "preheader": issue.preheader,
            "archive_url": absolute(issue.get_absolute_url()) if issue.pk and issue.issue_date else "",
        },
        "newsletter": {
            "id": newsletter.pk,
            "slug": newsletter.slug,
            "name": newsletter.name,
            "audience": newsletter.audience,
            "house_ad": (
                {
                    "heading": newsletter.house_ad_heading,
                    "text": newsletter.house_ad_text,
                    "url": newsletter.house_ad_url or settings.MASTHEAD_SUBSCRIBE_URL or base_url() + "/",
                }
                if newsletter.house_ad_heading
                else None
            ),
        },
        "site_name": settings.WAGTAIL_SITE_NAME,
        "base_url": base_url(),
        "introduction_html": introduction,
        "introduction_text": introduction_text(introduction),
        "sections": sections,
    }


def gated_article_ids(snapshot: dict) -> list[int]:
    return sorted(
        {
            item["article_id"]
            for s in snapshot["sections"]
            for item in s["items"]
            if item["article_id"] and item["gated"]
        }
    )


def all_article_ids(snapshot: dict) -> list[int]:
    return sorted({item["article_id"] for s in snapshot["sections"] for item in s["items"] if item["article_id"]})
