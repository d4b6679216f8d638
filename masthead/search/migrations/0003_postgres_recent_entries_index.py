"""PostgreSQL: one GIN index on `(title || body, id)` instead of `title || body` alone.

With the `btree_gin` extension (shipped with PostgreSQL, trusted: a database
owner may install it) a GIN index can hold the entry id beside the text
vector, so "the matches among the newest entries" is answered inside the index
(`backends/postgres.py`, `candidate_rows`): a common word's candidates are
found without reading every match's row. The index still serves a match on
the vector alone, so it replaces migration 0002's. Other databases: nothing.
"""

from django.db import connection, migrations

ENTRY = "wagtailsearch_indexentry"
OLD_INDEX = "masthead_search_title_body_gin"
NEW_INDEX = "masthead_search_title_body_id_gin"


class Migration(migrations.Migration):
    dependencies = [("masthead_search", "0002_search_index_tuning")]

    if connection.vendor == "postgresql":
        operations = [
            migrations.RunSQL(
                sql=[
                    "CREATE EXTENSION IF NOT EXISTS btree_gin",
                    f"CREATE INDEX IF NOT EXISTS {NEW_INDEX} ON {ENTRY} USING GIN ((title || body), id)",
                    f"DROP INDEX IF EXISTS {OLD_INDEX}",
                ],
                reverse_sql=[
                    f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON {ENTRY} USING GIN ((title || body))",
                    f"DROP INDEX IF EXISTS {NEW_INDEX}",
                ],
            )
        ]
    else:
        operations = []
