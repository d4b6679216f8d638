"""What the front page shows, resolved in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from masthead.articles import selectors as articles
from masthead.articles.models import ArticlePage

if TYPE_CHECKING:
    from .models import HomePage


@dataclass
class FrontSection:
    heading: str
    articles: list[ArticlePage]
    url: str = ""


@dataclass
class FrontPage:
    lead: ArticlePage | None
    lead_label: str
    sections: list[FrontSection] = field(default_factory=list)


def front_page(*, home: HomePage) -> FrontPage:
    """The lead story and each section the editors arranged; an article appears once on the page."""
    lead = articles.hub_lead(lead_id=home.lead_story_id)
    if lead is None:
        newest = articles.latest_articles(limit=1)
        lead = newest[0] if newest else None
    shown: set[int] = {lead.pk} if lead else set()
    front = FrontPage(lead=lead, lead_label=home.lead_story_label)

    for block in home.sections:
        value = block.value
        if block.block_type == "latest":
            items = articles.latest_articles(kind=value["kind"] or None, limit=value["count"], exclude_ids=shown)
            section = FrontSection(heading=value["heading"], articles=items)
        elif block.block_type == "topic":
            topic = value["topic"]
            items = list(articles.articles_for_topic(topic=topic).exclude(pk__in=shown)[: value["count"]])
            section = FrontSection(heading=topic.name, articles=items, url=topic.get_absolute_url())
        elif block.block_type == "region":
            region = value["region"]
            items = list(articles.articles_for_region(region=region).exclude(pk__in=shown)[: value["count"]])
            section = FrontSection(heading=region.name, articles=items, url=region.get_absolute_url())
        elif block.block_type == "picks":
            ids = [page.pk for page in value["articles"] if page is not None]
            by_id = {page.pk: page for page in articles.article_list().filter(pk__in=ids)}
            items = [by_id[pk] for pk in ids if pk in by_id and pk not in shown]
            section = FrontSection(heading=value["heading"], articles=items)
        else:
            continue
        shown.update(article.pk for article in section.articles)
        if section.articles:
            front.sections.append(section)
    return front
