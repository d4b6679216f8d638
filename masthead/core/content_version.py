"""One number that changes whenever anything a reader's page shows may have changed.

Caches of rendered pages and of URL routes put it in their keys. Publishing,
unpublishing, moving or deleting a page, and saving a byline, a topic, a
country, an image, a view restriction or a site setting raise it, so every
worker stops using what it rendered before. It lives in the database (one
row), so it is shared by every process even when the cache is not; a
process reads it at most once per `CONTENT_VERSION_SECONDS` (default 1 s),
and at once after a change it made itself.
"""

from __future__ import annotations

import threading
import time

from django.db import DatabaseError
from django.db.models import F

from .conf import setting
from .models import ContentVersion

_lock = threading.Lock()
_memo: tuple[int, float] | None = None  # (value, read at: monotonic seconds)


def current() -> int:
    """The content version, at most CONTENT_VERSION_SECONDS old (-1 when it cannot be read: cache nothing)."""
    global _memo
    memo = _memo
    now = time.monotonic()
    if memo is not None and now - memo[1] < setting("CONTENT_VERSION_SECONDS", 1.0):
        return memo[0]
    try:
        value = ContentVersion.objects.filter(pk=1).values_list("value", flat=True).first()
    except DatabaseError:
        return -1
    if value is None:
        value = 0
    with _lock:
        _memo = (value, now)
    return value


def bump(**_signal_kwargs) -> None:
    """Something pages show has changed: every cached rendering and route is out of date."""
    global _memo
    updated = ContentVersion.objects.filter(pk=1).update(value=F("value") + 1)
    if not updated:
        ContentVersion.objects.get_or_create(pk=1, defaults={"value": 1})
    with _lock:
        _memo = None


def forget() -> None:
    """Drop this process's memo (tests that change the version behind its back)."""
    global _memo
    with _lock:
        _memo = None
