"""manage.py demo_library: what it builds, that bulk-made pages behave like editor-made ones, bad input."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from wagtail.models import Page, ReferenceIndex, Site
from wagtail.search.backends import get_search_backend

from masthead.articles.models import ArticleIndexPage, ArticlePage, Author, Topic, WorldRegion
from masthead.articles.text import body_text_blocks, body_word_count, headline_key
from masthead.core.models import MastheadImage, PublicationSettings
from masthead.home.models import HomePage

BASE_DIR = Path(__file__).resolve().parents[3]
SHARED_COUNT = 40


def generate(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("demo_library", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def articles() -> list[ArticlePage]:
    return list(ArticlePage.objects.live().order_by("path"))


@pytest.fixture(scope="class")
def shared_library(django_db_setup, django_db_blocker):
    """One generated library for the tests that only look at it; rolled back after the class."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            output = generate("--articles", str(SHARED_COUNT), "--seed", "3", "--batch-size", "15")
            yield output
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.usefixtures("shared_library")
@pytest.mark.django_db
class TestGeneratedLibrary:
    def test_creates_live_articles_under_the_index_with_authors_topics_and_countries(self):
        index = ArticleIndexPage.objects.get()
        assert (index.title, index.slug) == ("Analysis", "analysis")
        generated = articles()
        assert len(generated) == SHARED_COUNT
        assert index.numchild == SHARED_COUNT
        for article in generated:
            assert article.get_parent().pk == index.pk
            links = list(article.article_authors.order_by("sort_order"))
            assert 1 <= len(links) <= 3
            assert [link.sort_order for link in links] == list(range(len(links)))
            assert 1 <= article.topics.count() <= 3
            assert 1 <= article.countries.count() <= 4
            assert article.dek and ". " not in article.dek and len(article.dek) <= 300
            assert article.url_path == f"{index.url_path}{article.slug}/"
        assert all(article.headline_key == headline_key(article.title) for article in generated)  # rows written raw
        with_lead_image = [a for a in generated if a.lead_image_id]
        assert len(with_lead_image) >= 0.7 * SHARED_COUNT
        assert sum(bool(a.lead_image_caption) for a in with_lead_image) >= 0.6 * len(with_lead_image)

    def test_bodies_have_800_to_2000_words_and_open_with_three_paragraphs(self):
        for article in articles():
            assert 800 <= body_word_count(article.body) <= 2000, article.title
            types = [block.block_type for block in article.body]
            assert types[:3] == ["paragraph", "paragraph", "paragraph"], article.title
            for block in article.body:
                if block.block_type == "paragraph":
                    assert block.value.source.startswith("<p>") and block.value.source.endswith("</p>")

    def test_bodies_mention_the_articles_countries_and_do_not_repeat_paragraphs(self):
        for article in articles():
            paragraphs = [b.value.source for b in article.body if b.block_type == "paragraph"]
            assert len(set(paragraphs)) == len(paragraphs)
            text = " ".join(body_text_blocks(article.body))
            first_link = ArticlePage.countries.through.objects.filter(articlepage=article).order_by("pk").first()
            assert first_link.country.name in text

    def test_kinds_follow_the_mix_and_in_depth_reports_have_headings(self):
        generated = articles()
        kinds = Counter(article.kind for article in generated)
        assert set(kinds) == {"daily", "in_depth", "briefing", "opinion"}
        assert kinds["daily"] == max(kinds.values())
        for article in generated:
            headings = [b for b in article.body if b.block_type == "heading"]
            if article.kind == "in_depth":
                assert 2 <= len(headings) <= 4
            assert body_word_count(article.body) > 0

    def test_publication_dates_spread_back_in_time_and_the_newest_is_recent(self):
        dates = sorted(article.first_published_at for article in articles())
        assert (dates[-1] - dates[0]).days > 365
        from django.utils import timezone

        assert timezone.now() - dates[-1] < timezone.timedelta(days=2)
        assert dates[-1] <= timezone.now()

    def test_related_reading_points_to_an_earlier_article_or_a_link_elsewhere(self):
        seen = 0
        for article in articles():
            for block in article.body:
                if block.block_type != "related_reading":
                    continue
                seen += 1
                target = block.value["article"]
                if target is not None:
                    assert target.pk < article.pk
                    assert target.first_published_at <= article.first_published_at
                else:
                    assert block.value["url"].startswith("https://") and block.value["title"]
        assert seen

    def test_the_page_tree_is_valid(self):
        assert Page.find_problems() == ([], [], [], [], [])
        out = io.StringIO()
        call_command("fixtree", stdout=out)
        assert "No problems found" in out.getvalue()

    def test_pages_are_found_and_specific_like_editor_made_ones(self):
        article = articles()[-1]
        page = Page.objects.get(pk=article.pk)
        assert type(page.specific) is ArticlePage
        assert page.specific.title == article.title
        assert ArticlePage.objects.live().filter(pk=article.pk).exists()
        assert page.url == article.url

    def test_an_editor_can_edit_and_republish_a_generated_article(self, client):
        article = articles()[0]
        editor = get_user_model().objects.create_superuser(email="editor@example.com", password="a-long-test-password")
        client.force_login(editor)
        assert client.get(reverse("wagtailadmin_pages:edit", args=[article.pk])).status_code == 200

        article.title = "An edited headline"
        article.save_revision().publish()

        article.refresh_from_db()
        assert article.title == "An edited headline" and article.live
        assert Page.find_problems() == ([], [], [], [], [])

    def test_a_generated_article_page_renders_with_status_200(self, client):
        for article in articles()[-3:]:
            response = client.get(article.url)
            assert response.status_code == 200, article.url
            assert article.title in response.content.decode().replace("&#x27;", "'")
        assert client.get("/").status_code == 200
        assert client.get(ArticleIndexPage.objects.get().url).status_code == 200

    def test_home_page_is_titled_and_arranged(self):
        home = HomePage.objects.get()
        assert (home.title, home.slug) == ("The Meridian Review", "home")
        assert home.lead_story is not None and home.lead_story.live
        sections = [(block.block_type, block.value) for block in home.sections]
        latest = {value["kind"]: value["heading"] for kind, value in sections if kind == "latest"}
        assert latest["daily"] == "Latest analysis"
        assert latest["in_depth"] == "In-depth reports"
        assert 3 <= sum(1 for kind, _ in sections if kind == "topic") <= 4
        assert 1 <= sum(1 for kind, _ in sections if kind == "region") <= 2
        assert any(kind == "picks" and value["articles"] for kind, value in sections)

    def test_hubs_have_lead_articles_and_settings_are_filled_in(self):
        assert Topic.objects.count() == 15
        assert 6 <= Topic.objects.filter(featured=True).count() <= 10
        for topic in Topic.objects.all():
            assert topic.description
            if topic.articles.exists():
                assert topic.lead_article is not None
                assert topic.lead_article.topics.filter(pk=topic.pk).exists()
        for region in WorldRegion.objects.all():
            if ArticlePage.countries.through.objects.filter(country__region=region).exists():
                assert region.lead_article is not None
        settings = PublicationSettings.for_site(Site.objects.get(is_default_site=True))
        assert settings.tagline and settings.about

    def test_every_world_region_is_written_about(self):
        used = set(ArticlePage.countries.through.objects.values_list("country__region", flat=True))
        assert used == set(WorldRegion.objects.values_list("pk", flat=True))

    def test_authors_and_images_are_invented_and_credited(self):
        authors = list(Author.objects.all())
        assert 38 <= len(authors) <= 45
        for author in authors:
            assert author.affiliation and author.photo is not None
            assert 2 <= len(re.findall(r"\.(?:\s|$)", author.bio)) <= 3
        landscapes = MastheadImage.objects.exclude(title__startswith="Portrait placeholder:")
        assert landscapes.count() == 30
        for image in landscapes:
            assert image.description and image.credit
            assert (image.width, image.height) == (1600, 900)

    def test_the_reference_index_records_what_each_article_uses(self):
        page_type = ContentType.objects.get_for_model(Page)
        for article in articles():
            stored = set(
                ReferenceIndex.objects.filter(base_content_type=page_type, object_id=str(article.pk)).values_list(
                    "to_content_type", "to_object_id", "model_path", "content_path"
                )
            )
            assert stored == set(ReferenceIndex._extract_references_from_object(article))

    def test_the_reference_index_records_authors_photos_images_and_hub_leads(self):
        objects = [
            *Author.objects.all(),
            *MastheadImage.objects.all(),
            *Topic.objects.all(),
            *WorldRegion.objects.all(),
        ]
        for obj in objects:
            base_type = ContentType.objects.get_for_model(type(obj))
            stored = set(
                ReferenceIndex.objects.filter(base_content_type=base_type, object_id=str(obj.pk)).values_list(
                    "to_content_type", "to_object_id", "model_path", "content_path"
                )
            )
            assert stored == set(ReferenceIndex._extract_references_from_object(obj)), obj
        photo = Author.objects.first().photo
        assert ReferenceIndex.get_references_to(photo).exists()

    def test_search_finds_an_article_by_a_distinctive_word_of_its_body(self):
        generated = articles()
        words_by_article = {
            article.pk: set(re.findall(r"[a-z]{7,}", " ".join(body_text_blocks(article.body)).lower()))
            for article in generated
        }
        counts = Counter(word for words in words_by_article.values() for word in words)
        article, word = next((a, w) for a in generated for w in sorted(words_by_article[a.pk]) if counts[w] == 1)

        results = [result.pk for result in get_search_backend().search(word, ArticlePage)]

        assert article.pk in results
        assert len(results) < len(generated)

    def test_progress_goes_to_stderr_and_one_summary_line_to_stdout(self, shared_library):
        out, err = shared_library
        assert f"{SHARED_COUNT}/{SHARED_COUNT}" in err
        lines = out.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"Created {SHARED_COUNT} articles")


@pytest.fixture(scope="class")
def prepared_site(django_db_setup, django_db_blocker):
    """The structure alone (topics, authors, pictures, index, home), built once; rolled back after the class."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield generate("--articles", "0")
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.usefixtures("prepared_site")
@pytest.mark.django_db
class TestOnAPreparedSite:
    def test_zero_articles_builds_the_structure_only(self, prepared_site):
        out, _ = prepared_site
        assert ArticleIndexPage.objects.exists() and Author.objects.exists() and Topic.objects.exists()
        assert HomePage.objects.get().title == "The Meridian Review"
        assert not ArticlePage.objects.exists()
        assert out.startswith("Created 0 articles")

    def test_the_same_seed_yields_the_same_headlines_and_another_seed_different_ones(self):
        generate("--articles", "8", "--seed", "11")
        first = [a.title for a in articles()]
        ArticlePage.objects.all().delete()

        generate("--articles", "8", "--seed", "11")
        assert [a.title for a in articles()] == first
        ArticlePage.objects.all().delete()

        generate("--articles", "8", "--seed", "12")
        assert [a.title for a in articles()] != first

    def test_running_twice_adds_articles_without_slug_collisions_and_reuses_the_structure(self):
        authors, images = Author.objects.count(), MastheadImage.objects.count()
        generate("--articles", "6", "--seed", "1")
        generate("--articles", "6", "--seed", "1")

        generated = articles()
        assert len(generated) == 12
        assert len({a.slug for a in generated}) == 12
        assert len({a.title for a in generated}) > 6
        assert ArticleIndexPage.objects.get().numchild == 12
        assert (Author.objects.count(), MastheadImage.objects.count()) == (authors, images)
        assert Page.find_problems() == ([], [], [], [], [])

    def test_if_empty_fills_an_empty_library_and_leaves_a_filled_one_alone(self):
        generate("--articles", "3", "--if-empty")
        assert ArticlePage.objects.count() == 3

        out, _ = generate("--articles", "50", "--if-empty")

        assert ArticlePage.objects.count() == 3
        assert len(out.strip().splitlines()) == 1
        assert "already" in out

    def test_no_index_skips_the_search_index(self):
        generate("--articles", "4", "--no-index")

        assert ArticlePage.objects.count() == 4
        assert list(get_search_backend().search("government", ArticlePage)) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--articles", "-1"), "--articles must be between 0 and 1,000,000, not -1."),
        (("--articles", "abc"), "--articles must be a whole number, not 'abc'."),
        (("--articles", "2000000"), "--articles must be between 0 and 1,000,000, not 2,000,000."),
        (("--batch-size", "0"), "--batch-size must be between 1 and 10,000, not 0."),
        (("--seed", "x"), "--seed must be a whole number, not 'x'."),
    ],
)
def test_bad_arguments_raise_a_one_line_command_error(args, message):
    with pytest.raises(CommandError) as error:
        generate(*args)
    assert str(error.value) == message


def test_a_bad_argument_exits_non_zero_with_one_line_and_no_traceback():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "masthead.settings.test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "demo_library", "--articles", "abc"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["CommandError: --articles must be a whole number, not 'abc'."]
