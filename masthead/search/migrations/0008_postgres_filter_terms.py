"""PostgreSQL: each index entry holds its filter terms, which the GIN index holds beside the words and the range.

`masthead_filters` (a `tsvector` of 16-hex-digit lexemes, `backends/terms.py`)
is written with every entry by `MastheadPostgresIndex.add_items`. Entries
written before this migration have none, so a search does not use the terms
until `search_reindex` has written them all (`terms_ready`). The GIN index is
built again with the column as its second: 16 s at 100,000 articles, and it
blocks writes to the index while it runs. Other databases: nothing.
"""

from django.db import connection, migrations

ENTRY = "wagtailsearch_indexentry"
OLD_INDEX = "masthead_search_title_body_range_gin"
NEW_INDEX = "masthead_search_title_body_filters_range_gin"


class Migration(migrations.Migration):
    dependencies = [("masthead_search", "0007_postgres_range_expression_in_gin_index")]

    if connection.vendor == "postgresql":
        operations = [
            migrations.RunSQL(
                sql=[
                    f"ALTER TABLE {ENTRY} ADD COLUMN IF NOT EXISTS masthead_filters tsvector",
                    f"CREATE INDEX IF NOT EXISTS {NEW_INDEX} ON {ENTRY} "
                    "USING GIN ((title || body), masthead_filters, (id + 0))",
                    f"DROP INDEX IF EXISTS {OLD_INDEX}",
                ],
                reverse_sql=[
                    f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON {ENTRY} USING GIN ((title || body), (id + 0))",
                    f"DROP INDEX IF EXISTS {NEW_INDEX}",
                    f"ALTER TABLE {ENTRY} DROP COLUMN IF EXISTS masthead_filters",
                ],
            )
        ]
    else:
        operations = []
