"""Editors write, schedule and publish in the Wagtail admin, as they would in a browser."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from masthead.articles.enums import ArticleKind
from masthead.articles.models import ArticlePage, Country
from masthead.articles.tests.factories import AuthorFactory, TopicFactory, article_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    editor = get_user_model().objects.create_superuser(email="editor@example.org", password="x" * 12)
    client.force_login(editor)
    return client


def _article_form(*, author, topic, country, **extra):
    form = nested_form_data(
        {
            "title": "How a grain corridor reopened",
            "slug": "how-a-grain-corridor-reopened",
            "dek": "Insurers and port authorities did what diplomats could not.",
            "kind": ArticleKind.DAILY_ANALYSIS,
            "article_authors": inline_formset([{"author": author.pk}], min=1),
            "lead_image_caption": "",
            "lead_image_credit": "",
            "pull_quote": "",
            "body": streamfield(
                [
                    ("paragraph", rich_text("<p>The corridor reopened on a Tuesday.</p>")),
                    ("heading", "Who paid"),
                    ("paragraph", rich_text("<p>Premiums fell by a third within a week.</p>")),
                ]
            ),
            **extra,
        }
    )
    # Multiple choices are repeated keys in a real form post, not nested ones.
    form.update(topics=[topic.pk], countries=[country.pk])
    return form


def test_an_editor_creates_and_publishes_an_article_in_the_admin(editor_client, client):
    index = article_index()
    author, topic, country = AuthorFactory(), TopicFactory(), Country.objects.get(code="UA")
    add_url = reverse("wagtailadmin_pages:add", args=("articles", "articlepage", index.pk))

    assert editor_client.get(add_url).status_code == 200
    response = editor_client.post(
        add_url, _article_form(author=author, topic=topic, country=country, **{"action-publish": "publish"})
    )

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    article = ArticlePage.objects.get(slug="how-a-grain-corridor-reopened")
    assert article.live
    assert [link.author for link in article.article_authors.all()] == [author]
    assert list(article.topics.all()) == [topic]
    reader = client.get(article.url)
    assert reader.status_code == 200
    assert "The corridor reopened on a Tuesday." in reader.content.decode()


def test_an_editor_saves_a_draft_that_readers_cannot_see(editor_client, client):
    index = article_index()
    add_url = reverse("wagtailadmin_pages:add", args=("articles", "articlepage", index.pk))
    editor_client.post(
        add_url, _article_form(author=AuthorFactory(), topic=TopicFactory(), country=Country.objects.get(code="UA"))
    )

    article = ArticlePage.objects.get(slug="how-a-grain-corridor-reopened")
    assert not article.live
    assert article.latest_revision is not None
    assert client.get(f"/analysis/{article.slug}/").status_code == 404
    preview = editor_client.get(reverse("wagtailadmin_pages:preview_on_edit", args=(article.pk,)))
    assert preview.status_code == 200


def test_an_editor_schedules_an_article_and_it_goes_live_at_that_time(editor_client, client):
    index = article_index()
    add_url = reverse("wagtailadmin_pages:add", args=("articles", "articlepage", index.pk))
    go_live = timezone.now() + dt.timedelta(hours=2)
    form = _article_form(
        author=AuthorFactory(),
        topic=TopicFactory(),
        country=Country.objects.get(code="UA"),
        go_live_at=timezone.localtime(go_live).strftime("%Y-%m-%d %H:%M"),
        **{"action-publish": "publish"},
    )

    response = editor_client.post(add_url, form)

    assert response.status_code == 302
    article = ArticlePage.objects.get(slug="how-a-grain-corridor-reopened")
    assert not article.live
    assert article.scheduled_revision is not None
    assert client.get(f"/analysis/{article.slug}/").status_code == 404

    # Nothing is published before its time...
    call_command("publish_scheduled")
    assert not Page.objects.get(pk=article.pk).live
    # ...and it is once that time has come.
    with time_machine.travel(go_live + dt.timedelta(minutes=1)):
        call_command("publish_scheduled")
    assert Page.objects.get(pk=article.pk).live
    assert client.get(f"/analysis/{article.slug}/").status_code == 200


def test_publishing_an_article_without_an_author_is_refused_with_a_message(editor_client):
    index = article_index()
    add_url = reverse("wagtailadmin_pages:add", args=("articles", "articlepage", index.pk))
    form = _article_form(
        author=AuthorFactory(), topic=TopicFactory(), country=Country.objects.get(code="UA"), **{"action-publish": "1"}
    )
    form.update(nested_form_data({"article_authors": inline_formset([], min=1)}))

    response = editor_client.post(add_url, form)

    assert response.status_code == 200
    assert "The page could not be created due to validation errors" in response.content.decode()
    assert not ArticlePage.objects.filter(slug="how-a-grain-corridor-reopened", live=True).exists()
