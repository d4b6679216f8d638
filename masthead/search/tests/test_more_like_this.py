"""More like this: articles sharing topics, regions and words, never the article itself."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masthead.articles.models import Country
from masthead.articles.tests.factories import TopicFactory, days_ago, make_article, paragraphs
from masthead.search.selectors import more_like_this

pytestmark = pytest.mark.django_db


@pytest.fixture
def related_library(db):
    water = TopicFactory(name="Water", slug="water")
    other = TopicFactory(name="Sport", slug="sport")
    egypt = Country.objects.get(code="EG")
    brazil = Country.objects.get(code="BR")
    article = make_article(
        title="The fight over the Nile dam",
        dek="Egypt and Ethiopia argue over water from the Nile.",
        topics=[water],
        countries=[egypt],
    )
    close = make_article(
        title="Nile dam talks resume",
        dek="Water negotiators meet again over the dam.",
        topics=[water],
        countries=[egypt],
        published_at=days_ago(3),
    )
    same_topic = make_article(title="Rain in the Andes", dek="Farmers wait.", topics=[water], countries=[brazil])
    same_words = make_article(
        title="A football dam of defenders",
        dek="Nile club's dam holds.",
        topics=[other],
        countries=[brazil],
        body=paragraphs("Nile dam water", "More"),
    )
    unrelated = make_article(title="Carnival season", dek="Samba schools rehearse.", topics=[other], countries=[brazil])
    draft = make_article(
        title="Nile dam draft", dek="Water from the Nile.", topics=[water], countries=[egypt], live=False
    )
    return article, close, same_topic, same_words, unrelated, draft


def test_the_closest_article_shares_topics_regions_and_words(related_library):
    article, close, *_ = related_library
    assert more_like_this(article, limit=3)[0] == close


def test_more_like_this_never_returns_the_article_itself_drafts_or_more_than_asked(related_library):
    article, _close, _same_topic, _same_words, unrelated, draft = related_library
    related = more_like_this(article, limit=3)
    assert article not in related
    assert draft not in related
    assert len(related) == 3
    assert unrelated not in related


def test_more_like_this_results_are_ready_for_cards(related_library):
    article = related_library[0]
    related = more_like_this(article, limit=3)
    with CaptureQueriesContext(connection) as queries:
        for item in related:
            list(item.article_authors.all())
            list(item.topics.all())
    assert len(queries) == 0


def test_an_article_with_no_topics_or_countries_still_gets_similar_articles(related_library):
    lonely = make_article(title="Nile dam economics", dek="The dam's water bill.")
    assert lonely not in more_like_this(lonely)
    assert related_library[1] in more_like_this(lonely)
