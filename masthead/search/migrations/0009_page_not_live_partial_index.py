"""The index on Wagtail's page table for the pages that are not live (`liveness.py`) holds those pages alone.

Migration 0005's index on `(live, id)` served that list, but SQLite, without
statistics, took it for every query filtering on `live`: a listing of the
newest live articles (the home page's, a hub's, a search sorted by newest)
then read every live page from it and sorted them by date (93-250 ms at
100,000 articles) instead of walking the date index and stopping after a
page (under 1 ms). A partial index of the pages that are not live is used
only by a query asking for them (`WHERE NOT live`), on SQLite and PostgreSQL.
"""

from django.db import migrations

OLD_INDEX = "masthead_search_page_live_id"
INDEX = "masthead_search_page_not_live"


class Migration(migrations.Migration):
    dependencies = [("masthead_search", "0008_postgres_filter_terms")]

    operations = [
        migrations.RunSQL(
            sql=[
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailcore_page (id) WHERE NOT live",
                f"DROP INDEX IF EXISTS {OLD_INDEX}",
            ],
            reverse_sql=[
                f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON wagtailcore_page (live, id)",
                f"DROP INDEX IF EXISTS {INDEX}",
            ],
        )
    ]
