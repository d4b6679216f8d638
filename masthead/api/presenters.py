"""Articles as JSON: what every client may see, and what this reader may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from masthead.access.decisions import Decision
from masthead.access.rendering import ArticleView
from masthead.distribution.html import render_blocks, site_base_url


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def access(decision: Decision) -> dict[str, Any]:
    return {"level": "full" if decision.full else "teaser", "reason": str(decision.reason)}


def article_summary(request: HttpRequest, article, decision: Decision) -> dict[str, Any]:
    """An article without its body: the list's item and the head of the detail."""
    return {
        "id": article.pk,
        "url": article.get_full_url(request),
        "headline": article.title,
        "dek": article.dek,
        "kind": article.kind,
        "kind_name": article.get_kind_display(),
        "published": _iso(article.first_published_at),
        "updated": _iso(article.last_published_at),
        "authors": [
            {"name": link.author.name, "url": request.build_absolute_uri(link.author.get_absolute_url())}
            for link in article.article_authors.all()
        ],
        "topics": [
            {"slug": topic.slug, "name": topic.name, "url": request.build_absolute_uri(topic.get_absolute_url())}
            for topic in article.topics.all()
        ],
        "countries": [
            {"code": country.code, "name": country.name, "url": request.build_absolute_uri(country.get_absolute_url())}
            for country in article.countries.all()
        ],
        "free_for_everyone": article.free_for_everyone,
        "access": access(decision),
    }


def article_detail(request: HttpRequest, article, view: ArticleView) -> dict[str, Any]:
    """The summary plus the body blocks this reader may read: `view.blocks`, never `article.body`."""
    data = article_summary(request, article, view.decision)
    if view.decision.meter_remaining is not None:
        data["access"]["meter_remaining"] = view.decision.meter_remaining
    data["body"] = render_blocks(view.blocks, base_url=site_base_url(request))
    data["withheld_blocks"] = view.withheld
    data["offer"] = str(view.decision.offer)
    return data
