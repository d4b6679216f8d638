"""schema.org NewsArticle for an article page, with the paywall marked as search engines ask.

Nothing here comes from the article body: headline, dek, dates, people and
the image only, so the markup is the same whatever the reader may read.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

PAYWALL_SELECTOR = ".paywall"


def article_structured_data(
    *, request: HttpRequest, article, authors, image_url: str | None, site_name: str
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.dek,
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.get_full_url(request)},
        "articleSection": article.get_kind_display(),
        "author": [
            {"@type": "Person", "name": author.name, "url": request.build_absolute_uri(author.get_absolute_url())}
            for author in authors
        ],
        "publisher": {"@type": "Organization", "name": site_name},
        "isAccessibleForFree": bool(article.free_for_everyone),
    }
    if article.first_published_at:
        data["datePublished"] = article.first_published_at.isoformat()
    if article.last_published_at:
        data["dateModified"] = article.last_published_at.isoformat()
    if image_url:
        data["image"] = [image_url]
    if not article.free_for_everyone:
        data["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": PAYWALL_SELECTOR}
    return data
