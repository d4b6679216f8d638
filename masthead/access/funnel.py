"""Counting what the conversion funnel needs, without a database write per page view.

Counts gather in this process and are added to `FunnelCount` rows (one per
day, article, event and institution) at most every few seconds, in one
upsert. A crash loses at most that window of counts: acceptable for
analytics, never for access, which does not read these numbers.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections import Counter

from django.db import DatabaseError, connection, transaction

from masthead.core.clock import local_date
from masthead.core.conf import setting

from .enums import FunnelEvent
from .models import FunnelCount

logger = logging.getLogger(__name__)

Key = tuple[dt.date, int, int, int]

_pending: Counter[Key] = Counter()
_lock = threading.Lock()
_last_flush = time.monotonic()


def record(event: FunnelEvent, *, article_id: int, institution_id: int | None = None, now: dt.datetime | None = None):
    day = local_date(now)
    with _lock:
        _pending[(day, article_id, int(event), institution_id or 0)] += 1
    if time.monotonic() - _last_flush >= setting("ACCESS_FUNNEL_FLUSH_SECONDS", 5):
        flush()


def flush() -> None:
    """Add the pending counts to the database; on failure they wait for the next flush."""
    global _last_flush
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    if not batch:
        return
    # The table name is our model's, quoted; every value is a parameter.
    table = connection.ops.quote_name(FunnelCount._meta.db_table)
    sql = (
        f"INSERT INTO {table} (day, article_id, event, institution_id, count) VALUES (%s, %s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (day, article_id, event, institution_id) DO UPDATE SET count = {table}.count + excluded.count"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, [(*key, count) for key, count in sorted(batch.items())])
    except DatabaseError:
        logger.warning("Could not save %d funnel counts; keeping them for the next flush", len(batch))
        with _lock:
            _pending.update(batch)


@atexit.register
def _flush_at_exit() -> None:
    if _pending:
        flush()
