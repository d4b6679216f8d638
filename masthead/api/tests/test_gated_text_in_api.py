"""The content API gives each reader what `decide_access` lets them read, and nothing more.

A marker is planted in the fifth of six paragraphs of a gated article (the
teaser is the first three). Readers without access get the teaser, so each
test also finds the teaser's own marker: it fails if the article went missing.
"""

import pytest
from django.urls import reverse

from masthead.access.enums import UnlockSource
from masthead.access.models import MeterUnlock
from masthead.distribution.tests.readers import (
    READERS_WITH_ACCESS,
    READERS_WITHOUT_ACCESS,
    gated_article_with_marker,
    sign_in,
    verified_reader,
)

pytestmark = pytest.mark.django_db


def cache_control(response) -> set[str]:
    return {directive.strip() for directive in response["Cache-Control"].split(",")}


def detail_url(article) -> str:
    return reverse("api:article_detail", args=[article.pk])


@pytest.mark.parametrize("reader", READERS_WITHOUT_ACCESS.keys())
def test_the_article_list_never_carries_body_text(client, reader):
    planted = gated_article_with_marker()
    make_reader, reason = READERS_WITHOUT_ACCESS[reader]
    sign_in(client, make_reader)

    response = client.get(reverse("api:article_list"))

    content = response.content.decode()
    item = next(item for item in response.json()["results"] if item["id"] == planted.article.pk)
    assert item["headline"] == planted.article.title
    assert item["access"] == {"level": "teaser", "reason": reason}
    assert "body" not in item
    assert planted.gated_marker not in content
    assert planted.teaser_marker not in content


@pytest.mark.parametrize("reader", READERS_WITHOUT_ACCESS.keys())
def test_the_article_detail_gives_a_reader_without_access_the_teaser_and_nothing_after_it(client, reader):
    planted = gated_article_with_marker()
    make_reader, reason = READERS_WITHOUT_ACCESS[reader]
    sign_in(client, make_reader)

    response = client.get(detail_url(planted.article))

    assert response.status_code == 200
    content = response.content.decode()
    data = response.json()
    assert data["access"]["level"] == "teaser"
    assert data["access"]["reason"] == reason
    assert planted.teaser_marker in content
    assert planted.gated_marker not in content
    assert "fourth paragraph" not in content
    assert len(data["body"]) == 3
    assert data["withheld_blocks"] == 3
    assert data["offer"] != "none"
    assert cache_control(response) == {"private", "no-cache", "max-age=0"}
    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize("reader", READERS_WITH_ACCESS.keys())
def test_the_article_detail_gives_a_subscriber_equivalent_reader_the_whole_body(client, reader):
    planted = gated_article_with_marker()
    make_reader, reason = READERS_WITH_ACCESS[reader]
    sign_in(client, make_reader)

    response = client.get(detail_url(planted.article))

    data = response.json()
    assert data["access"] == {"level": "full", "reason": reason}
    assert planted.teaser_marker in response.content.decode()
    assert planted.gated_marker in data["body"][4]["html"]
    assert len(data["body"]) == 6
    assert data["withheld_blocks"] == 0
    assert data["offer"] == "none"
    assert cache_control(response) == {"private", "no-cache", "max-age=0"}


def test_a_reader_who_unlocked_the_article_with_the_meter_reads_it_in_full(client):
    planted = gated_article_with_marker()
    reader = verified_reader()
    MeterUnlock.objects.create(
        reader=reader,
        article=planted.article,
        source=UnlockSource.METER,
        month=planted.article.first_published_at.date().replace(day=1),
        created_at=planted.article.first_published_at,
    )
    client.force_login(reader)

    data = client.get(detail_url(planted.article)).json()

    assert data["access"]["reason"] == "meter_unlocked"
    assert planted.gated_marker in data["body"][4]["html"]


def test_reading_through_the_api_never_spends_a_free_article(client):
    planted = gated_article_with_marker()
    reader = verified_reader()
    client.force_login(reader)

    data = client.get(detail_url(planted.article)).json()

    assert data["access"] == {"level": "teaser", "reason": "meter_available", "meter_remaining": 3}
    assert data["offer"] == "unlock"
    assert planted.gated_marker not in str(data)
    assert not MeterUnlock.objects.filter(reader=reader).exists()


def test_a_free_article_is_whole_for_everyone_and_may_be_cached_publicly(client):
    planted = gated_article_with_marker(free_for_everyone=True)

    response = client.get(detail_url(planted.article))

    assert response.json()["access"] == {"level": "full", "reason": "free_article"}
    assert planted.gated_marker in response.content.decode()
    assert cache_control(response) == {"public", "max-age=60"}
    assert "Cookie" in response["Vary"]
