"""Publishing, unpublishing, editing and deleting keep the index in step; the reindex command rebuilds and resumes."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.search.backends import get_search_backend

from masthead.articles.models import ArticlePage
from masthead.articles.tests.factories import make_article, paragraphs
from masthead.search.models import ReindexState
from masthead.search.query import parse_query
from masthead.search.selectors import search_articles

pytestmark = pytest.mark.django_db


def _found(text: str) -> list[str]:
    from masthead.search.filters import SearchFilters

    return [article.title for article in search_articles(query=parse_query(text), filters=SearchFilters()).articles]


def test_publishing_an_article_makes_it_findable_at_once():
    article = make_article(
        title="Lighthouse keepers", body=paragraphs("The lighthouse stood alone.", "Waves."), live=False
    )
    assert _found("lighthouse") == []
    article.get_latest_revision().publish()
    assert _found("lighthouse") == ["Lighthouse keepers"]


def test_unpublishing_an_article_removes_it_from_results():
    article = make_article(title="Glacier retreat", body=paragraphs("The glacier shrank.", "Again."))
    assert _found("glacier") == ["Glacier retreat"]
    article.unpublish()
    assert _found("glacier") == []


def test_editing_an_article_replaces_its_words_in_the_index():
    article = make_article(title="Copper mines", body=paragraphs("Copper output fell.", "Miners struck."))
    article.body = paragraphs("Lithium output rose.", "Miners cheered.")
    article.save_revision().publish()
    assert _found("lithium") == ["Copper mines"]
    assert _found('"copper output"') == []
    assert _found("copper") == ["Copper mines"]


def test_deleting_an_article_removes_its_index_entry():
    article = make_article(title="Salt flats", body=paragraphs("Salt everywhere.", "More salt."))
    pk = article.pk
    article.delete()
    backend = get_search_backend()
    assert list(backend.search("salt", ArticlePage.objects.all())) == []
    assert not ArticlePage.objects.filter(pk=pk).exists()


def _wipe_index():
    from wagtail.search.models import IndexEntry

    IndexEntry.objects.all().delete()


def test_the_reindex_command_rebuilds_the_index_with_a_progress_bar():
    for number in range(7):
        make_article(title=f"Walrus report {number}", body=paragraphs("Walrus sightings rose.", "More."))
    _wipe_index()
    assert _found("walrus") == []

    err, out = io.StringIO(), io.StringIO()
    call_command("search_reindex", "--batch-size", "3", stdout=out, stderr=err)

    assert len(_found("walrus")) == 7
    assert "articles.ArticlePage" in err.getvalue()
    assert "[##############################] 7/7" in err.getvalue()
    assert "Indexed" in out.getvalue()
    state = ReindexState.objects.get(model="articles.ArticlePage")
    assert state.finished_at is not None
    assert state.last_pk == ArticlePage.objects.order_by("-pk").first().pk


def test_a_reindex_leaves_the_index_optimized_for_reading():
    """SQLite: FTS5's segments merged into one (fewer rows of index data); PostgreSQL: statistics for the planner."""
    from django.db import connection

    for number in range(12):  # each publication writes the index in its own transaction: a segment each
        make_article(title=f"Narwhal report {number}", body=paragraphs("Narwhal tusks were counted.", "More."))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM wagtailsearch_indexentry_fts_data")
            before = cursor.fetchone()[0]
        call_command("search_reindex", "--model", "articles.ArticlePage", stdout=io.StringIO(), stderr=io.StringIO())
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM wagtailsearch_indexentry_fts_data")
            after = cursor.fetchone()[0]
        assert after < before
    else:
        call_command("search_reindex", "--model", "articles.ArticlePage", stdout=io.StringIO(), stderr=io.StringIO())
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'masthead_search_word_pairs_gin'")
            assert cursor.fetchone()[0] > 0
    assert len(_found("narwhal")) == 12


def test_refreshing_title_norms_leaves_the_sqlite_full_text_index_alone():
    """SQLite: Wagtail's title-norm refresh no longer rewrites FTS5's copy of each entry; a changed text still does."""
    from django.db import connection
    from django.db.models import F
    from wagtail.search.models import IndexEntry

    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table's trigger is SQLite's")
    articles = [make_article(title=f"Pangolin {n}", body=paragraphs("Pangolin scales.", "More.")) for n in range(3)]

    def fts_rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM wagtailsearch_indexentry_fts_data")
            return cursor.fetchone()[0]

    before = fts_rows()
    IndexEntry.objects.update(title_norm=F("title_norm") * 2)
    assert fts_rows() == before
    entry = IndexEntry.objects.get(object_id=str(articles[0].pk), content_type__model="articlepage")
    IndexEntry.objects.filter(pk=entry.pk).update(body=f"{entry.body} Zebrafinch")
    assert [found for found in _found("zebrafinch")] == [articles[0].title]


def test_an_interrupted_reindex_resumes_after_the_last_batch_it_committed(monkeypatch):
    articles = [make_article(title=f"Okapi {n}", body=paragraphs("Okapi seen.", "More.")) for n in range(6)]
    _wipe_index()
    backend = get_search_backend()
    calls = {"n": 0}
    original = type(backend).add_bulk

    def flaky_add_bulk(self, model, objs):
        if model is ArticlePage:
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("power cut")
        return original(self, model, objs)

    monkeypatch.setattr(type(backend), "add_bulk", flaky_add_bulk)
    with pytest.raises(RuntimeError):
        call_command("search_reindex", "--batch-size", "2", "--model", "articles.ArticlePage", stdout=io.StringIO())
    state = ReindexState.objects.get(model="articles.ArticlePage")
    assert state.last_pk == articles[3].pk
    assert state.finished_at is None
    assert len(_found("okapi")) == 4

    monkeypatch.setattr(type(backend), "add_bulk", original)
    written = []
    monkeypatch.setattr(
        type(backend),
        "add_bulk",
        lambda self, model, objs: written.extend(o.pk for o in objs) or original(self, model, objs),
    )
    call_command(
        "search_reindex", "--batch-size", "2", "--model", "articles.ArticlePage", "--resume", stdout=io.StringIO()
    )
    assert written == [articles[4].pk, articles[5].pk]
    assert len(_found("okapi")) == 6


def test_the_reindex_command_refuses_a_silly_batch_size():
    with pytest.raises(CommandError):
        call_command("search_reindex", "--batch-size", "0", stdout=io.StringIO())


def _postgres_index():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's index writes the title norms itself")
    return get_search_backend().get_index_for_model(ArticlePage)


def _norms(*articles) -> list[tuple[float, float]]:
    """(stored title norm, Wagtail's lavg / length(title)) of these articles' entries."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT AVG(length(title)) FROM wagtailsearch_indexentry WHERE length(title) > 0")
        average = cursor.fetchone()[0]
        cursor.execute(
            "SELECT object_id, title_norm, %s / length(title) FROM wagtailsearch_indexentry "
            "WHERE object_id = ANY(%s) AND length(title) > 0",
            [average, [str(article.pk) for article in articles]],
        )
        found = {object_id: (float(norm), float(expected)) for object_id, norm, expected in cursor.fetchall()}
    return [found[str(article.pk)] for article in articles]


def test_postgres_writes_an_entrys_title_norm_with_it_instead_of_updating_it_after():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    index = _postgres_index()
    make_article(title="Walrus colony survey", body=paragraphs("Walruses hauled out.", "More."))
    article = make_article(title="Walrus tusks measured at last", body=paragraphs("Tusks.", "More."), live=False)
    with CaptureQueriesContext(connection) as written:
        index.add_items(ArticlePage, [article])
    assert not [query for query in written.captured_queries if query["sql"].startswith("UPDATE")]
    [(norm, expected)] = _norms(article)
    assert norm == pytest.approx(expected, rel=0.05) and norm != 1.0


def test_postgres_reindex_rewrites_only_the_title_norms_that_moved():
    from django.db import connection

    index = _postgres_index()
    moved, close = (
        make_article(title=f"Seal count {n} in the bay", body=paragraphs("Seals.", "More.")) for n in (1, 2)
    )
    [(_, moved_expected), (_, close_expected)] = _norms(moved, close)
    with connection.cursor() as cursor:
        for article, norm in ((moved, moved_expected * 3), (close, close_expected * 1.01)):
            cursor.execute(
                "UPDATE wagtailsearch_indexentry SET title_norm = %s WHERE object_id = %s", [norm, str(article.pk)]
            )
    index._refresh_title_norms(full=True)
    [(moved_norm, moved_expected), (close_norm, close_expected)] = _norms(moved, close)
    assert moved_norm == pytest.approx(moved_expected)
    assert close_norm == pytest.approx(close_expected * 1.01)
