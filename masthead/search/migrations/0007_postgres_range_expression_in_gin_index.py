"""PostgreSQL: the GIN index holds `id + 0` beside `title || body`, instead of `id` (migration 0003's).

A search reads a range of entries (the newest, for a common word's candidates
and count; a year's) with the words from the GIN index. Named as `id`, the
range could also be read from the primary key, with the vector checked on
every entry in it: the planner prices that check like any operator, not as
reading the body out of line, and the two plans came within 1% of each other.
After one ANALYZE of a 100,000-article library it chose the primary key, and a
common word's candidates took 130-170 ms instead of 3-6 ms. The primary key
cannot answer `id + 0` (`backends/postgres.py`, `RANGE_ID_SQL`), so the GIN
index is the only way to it. Building it took 16 s at 100,000 articles.
Other databases: nothing.
"""

from django.db import connection, migrations

ENTRY = "wagtailsearch_indexentry"
OLD_INDEX = "masthead_search_title_body_id_gin"
NEW_INDEX = "masthead_search_title_body_range_gin"


class Migration(migrations.Migration):
    dependencies = [("masthead_search", "0006_sqlite_fts_update_trigger_on_text_only")]

    if connection.vendor == "postgresql":
        operations = [
            migrations.RunSQL(
                sql=[
                    f"CREATE INDEX IF NOT EXISTS {NEW_INDEX} ON {ENTRY} USING GIN ((title || body), (id + 0))",
                    f"DROP INDEX IF EXISTS {OLD_INDEX}",
                ],
                reverse_sql=[
                    f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON {ENTRY} USING GIN ((title || body), id)",
                    f"DROP INDEX IF EXISTS {NEW_INDEX}",
                ],
            )
        ]
    else:
        operations = []
