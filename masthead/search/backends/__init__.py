"""Masthead's search backend: Wagtail's database backends, tuned for a large library.

`WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "masthead.search.backends"}}`
picks, like Wagtail's `wagtail.search.backends.database`, the backend for the
default database:

- SQLite: Wagtail's FTS5 backend with the porter stemmer (the FTS table is
  recreated by `masthead/search/migrations/0002_sqlite_porter.py`), the
  headline and dek in their own weighted column, and ranking that scores the
  matches inside FTS5 instead of once per row.
- PostgreSQL: Wagtail's backend with the English text search configuration
  and an expression index on `title || body`, so a search reads the GIN index
  instead of every index entry.
- Anything else (MySQL): Wagtail's own backend for it.

To move to OpenSearch or Elasticsearch, point `WAGTAILSEARCH_BACKENDS` at
Wagtail's backend instead (see docs/features/search.md); the selectors use
only Wagtail's search API and fall back to it for ranking.
"""

from __future__ import annotations

from functools import cache

from django.db import connection


@cache
def _fts5_available() -> bool:
    """Whether SQLite has FTS5 (Wagtail's check opens a database and creates a table: asked once per process)."""
    from wagtail.search.backends.database.sqlite.utils import fts5_available

    return fts5_available()


def SearchBackend(params):
    if connection.vendor == "postgresql":
        from .postgres import MastheadPostgresSearchBackend

        return MastheadPostgresSearchBackend(params)
    if connection.vendor == "sqlite" and _fts5_available():
        from .sqlite import MastheadSQLiteSearchBackend

        return MastheadSQLiteSearchBackend(params)
    from wagtail.search.backends.database import SearchBackend as WagtailDatabaseBackend

    return WagtailDatabaseBackend(params)
