"""Tune Wagtail's own search index tables for the library's size and language.

SQLite (Wagtail's FTS5 backend):
- Recreate Wagtail's FTS5 table with the porter stemmer, so "sanction" finds
  "sanctions" (FTS5 cannot change a table's tokenizer in place).
  Wagtail's triggers on `wagtailsearch_indexentry` name the table, so they
  keep it in step as before. (It stays a table with its own copy of the text:
  an external-content table would halve the size, but Django's cascading
  delete of `SQLiteFTSIndexEntry` rows and the trigger would then both remove
  an entry's words, which corrupts an external-content index.)
- A covering index (id, content_type_id, object_id) on the index entries, so
  turning a match into a page id does not read the entry's whole text.
- Fill the new table from the existing entries.

PostgreSQL: an expression GIN index on `title || body`, the vector Wagtail's
backend matches against, so a search reads the index instead of every entry.

Other databases: nothing. Every step has its reverse.
"""

from django.db import connection, migrations

FTS = "wagtailsearch_indexentry_fts"
ENTRY = "wagtailsearch_indexentry"
PORTER = "porter unicode61 remove_diacritics 2"
LOOKUP_INDEX = "masthead_search_entry_lookup"
GIN_INDEX = "masthead_search_title_body_gin"
TRIGGERS = ("insert_wagtailsearch_indexentry_fts", "update_wagtailsearch_indexentry_fts", "delete_wagtailsearch_indexentry_fts")

FORWARD_SQLITE = [
    f"DROP TABLE IF EXISTS {FTS}",
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(autocomplete, body, title, tokenize='{PORTER}')",
    f"INSERT INTO {FTS} (rowid, autocomplete, body, title) SELECT id, autocomplete, body, title FROM {ENTRY}",
    f"CREATE INDEX IF NOT EXISTS {LOOKUP_INDEX} ON {ENTRY} (id, content_type_id, object_id)",
]

# Wagtail's own table and triggers (wagtailsearch 0006), restored on the way back.
REVERSE_SQLITE = [
    f"DROP INDEX IF EXISTS {LOOKUP_INDEX}",
    *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
    f"DROP TABLE IF EXISTS {FTS}",
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(autocomplete, body, title)",
    f"INSERT INTO {FTS} (rowid, autocomplete, body, title) SELECT id, autocomplete, body, title FROM {ENTRY}",
    f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON {ENTRY} BEGIN INSERT INTO {FTS}(title, body, autocomplete, rowid) "
    "VALUES (NEW.title, NEW.body, NEW.autocomplete, NEW.id); END",
    f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE ON {ENTRY} BEGIN UPDATE {FTS} SET title=NEW.title, body=NEW.body, "
    "autocomplete=NEW.autocomplete WHERE rowid=NEW.id; END",
    f"CREATE TRIGGER {TRIGGERS[2]} AFTER DELETE ON {ENTRY} BEGIN DELETE FROM {FTS} WHERE rowid=OLD.id; END",
]


def _sqlite_has_fts() -> bool:
    if connection.vendor != "sqlite":
        return False
    from wagtail.search.backends.database.sqlite.utils import fts5_available

    return fts5_available()


class Migration(migrations.Migration):
    dependencies = [
        ("masthead_search", "0001_initial"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    if _sqlite_has_fts():
        operations = [migrations.RunSQL(sql=FORWARD_SQLITE, reverse_sql=REVERSE_SQLITE)]
    elif connection.vendor == "postgresql":
        operations = [
            migrations.RunSQL(
                sql=f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {ENTRY} USING GIN ((title || body))",
                reverse_sql=f"DROP INDEX IF EXISTS {GIN_INDEX}",
            )
        ]
    else:
        operations = []
