"""Which pages are not live, kept for a minute: the SQLite backend's cheap "live" filter.

Counting the matches of a common word means checking thousands of pages; on
SQLite, reading each page's row for its `live` flag costs more than the
full-text search itself. Unpublished pages and drafts are few, so the backend
asks "not among these ids" instead. The list is dropped whenever a page is
saved, published, unpublished or deleted in this process, and after
`NONLIVE_SECONDS` anyway (another process may have changed a page); the
results a reader sees are checked against the page rows themselves.
"""

from __future__ import annotations

from django.core.cache import cache

NONLIVE_KEY = "masthead-search:nonlive-page-ids"
NONLIVE_SECONDS = 60


# As the partial index of migration 0009 names them: SQLite uses that index only for a query with the same
# condition, and Django writes `live=False` as `live = %s` there.
NONLIVE_SQL = "SELECT id FROM {table} WHERE NOT live ORDER BY id"


def nonlive_page_ids() -> list[int]:
    ids = cache.get(NONLIVE_KEY)
    if ids is None:
        from django.db import connection
        from wagtail.models import Page

        with connection.cursor() as cursor:
            cursor.execute(NONLIVE_SQL.format(table=connection.ops.quote_name(Page._meta.db_table)))
            ids = [row[0] for row in cursor.fetchall()]
        cache.set(NONLIVE_KEY, ids, NONLIVE_SECONDS)
    return ids


def forget_nonlive_pages(sender=None, instance=None, **kwargs) -> None:
    from wagtail.models import Page

    if instance is None or isinstance(instance, Page):
        cache.delete(NONLIVE_KEY)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import page_published, page_unpublished

    post_save.connect(forget_nonlive_pages, dispatch_uid="masthead-search-nonlive-save")
    post_delete.connect(forget_nonlive_pages, dispatch_uid="masthead-search-nonlive-delete")
    page_published.connect(forget_nonlive_pages, dispatch_uid="masthead-search-nonlive-published")
    page_unpublished.connect(forget_nonlive_pages, dispatch_uid="masthead-search-nonlive-unpublished")
