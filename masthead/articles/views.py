"""Hubs: a page per topic, world region, country and author, newest articles first."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from . import selectors
from .models import Author, Country, Topic, WorldRegion
from .serving import keep_page


def _hub(request: HttpRequest, *, hub, kind: str, articles, extra: dict | None = None) -> HttpResponse:
    lead = selectors.hub_lead(lead_id=hub.lead_article_id)
    if lead is not None:
        articles = articles.exclude(pk=lead.pk)
    context = {
        "hub": hub,
        "hub_kind": kind,
        "lead": lead,
        "articles": selectors.paginate(articles, request),
        **(extra or {}),
    }
    return TemplateResponse(request, "articles/hub.html", context)


@require_safe
@keep_page
def topic_hub(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic.objects, slug=slug)
    return _hub(request, hub=topic, kind="Topic", articles=selectors.articles_for_topic(topic=topic))


@require_safe
@keep_page
def region_hub(request: HttpRequest, slug: str) -> HttpResponse:
    region = get_object_or_404(WorldRegion.objects, slug=slug)
    return _hub(
        request,
        hub=region,
        kind="Region",
        articles=selectors.articles_for_region(region=region),
        extra={"countries": selectors.countries_with_articles().filter(region=region)},
    )


@require_safe
@keep_page
def country_hub(request: HttpRequest, slug: str) -> HttpResponse:
    country = get_object_or_404(Country.objects.select_related("region"), slug=slug)
    return _hub(request, hub=country, kind="Country", articles=selectors.articles_for_country(country=country))


@require_safe
@keep_page
def author_hub(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    context = {
        "author": author,
        "articles": selectors.paginate(selectors.articles_by_author(author=author), request),
    }
    return TemplateResponse(request, "articles/author.html", context)


@require_safe
@keep_page
def topic_index(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "articles/topic_index.html", {"topics": selectors.topics_with_articles()})


@require_safe
@keep_page
def region_index(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "articles/region_index.html", {"regions": selectors.regions_with_countries()})


@require_safe
@keep_page
def author_index(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "articles/author_index.html", {"authors": selectors.authors_list()})
