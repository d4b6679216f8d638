"""A small library to search, written through Wagtail's publishing so the index is updated as in production."""

from __future__ import annotations

import pytest
from django.test import Client

from masthead.articles.enums import ArticleKind
from masthead.articles.models import Country, WorldRegion
from masthead.articles.tests.factories import AuthorFactory, TopicFactory, days_ago, make_article, paragraphs


def search_page(client: Client, **params):
    response = client.get("/search/", params)
    assert response.status_code < 500
    return response


@pytest.fixture
def library(db):
    """Articles with known words, topics, places, authors and dates."""
    energy = TopicFactory(name="Energy", slug="energy")
    trade = TopicFactory(name="Trade", slug="trade")
    asia = (
        WorldRegion.objects.get(slug="south-asia") if WorldRegion.objects.filter(slug="south-asia").exists() else None
    )
    afghanistan = Country.objects.get(code="AF")
    france = Country.objects.get(code="FR")
    nadia = AuthorFactory(name="Nadia Rahimi", slug="nadia-rahimi")
    tomas = AuthorFactory(name="Tomas Berg", slug="tomas-berg")

    articles = {
        "subscriptions": make_article(
            title="Why newspaper subscriptions are rising",
            dek="Readers are paying again.",
            body=paragraphs(
                "Publishers counted more subscriptions this winter than in any year since records began.",
                "The growth came from younger readers in cities.",
                "Advertising, meanwhile, kept falling.",
                "The trend may not last.",
            ),
            topics=[trade],
            countries=[france],
            authors=[tomas],
            published_at=days_ago(30),
            free_for_everyone=True,
        ),
        "sanctions": make_article(
            title="The limits of sanctions on Kabul",
            dek="Measures meant to bite have mostly hurt traders.",
            body=paragraphs(
                "The sanctions regime was tightened in March.",
                "Traders in the bazaar say prices doubled.",
                "Diplomats argue about what comes next.",
                "Few expect change before the winter.",
            ),
            topics=[trade],
            countries=[afghanistan],
            authors=[nadia],
            kind=ArticleKind.IN_DEPTH,
            published_at=days_ago(400),
            free_for_everyone=True,
        ),
        "pipeline": make_article(
            title="A pipeline through the mountains",
            dek="The gas project that keeps returning.",
            body=paragraphs(
                "Engineers surveyed the route of the gas pipeline again this spring.",
                "Back-channel talks between the governments resumed quietly.",
                "A sanction on one contractor delayed the work.",
                "The money has still not been found.",
            ),
            topics=[energy],
            countries=[afghanistan],
            authors=[nadia],
            kind=ArticleKind.BRIEFING,
            published_at=days_ago(5),
            free_for_everyone=True,
        ),
        "grid": make_article(
            title="Power cuts return to the capital",
            dek="An old grid meets a hot summer, and the talks stall.",
            body=paragraphs(
                "The grid failed three times in a week.",
                "Officials blamed the heat and the talks on imports.",
                "Generators are sold out.",
                "Nobody expects the cuts to stop soon.",
            ),
            topics=[energy],
            countries=[france],
            authors=[tomas],
            kind=ArticleKind.OPINION,
            published_at=days_ago(800),
            free_for_everyone=True,
        ),
    }
    return {
        "articles": articles,
        "topics": {"energy": energy, "trade": trade},
        "authors": {"nadia": nadia, "tomas": tomas},
        "countries": {"AF": afghanistan, "FR": france},
        "region": asia or afghanistan.region,
    }
