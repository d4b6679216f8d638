"""A number that changes whenever the search index does: kept results are keyed on it beside the content version.

The content version changes when an article is published, but its index entry
is written later, by a task; a search in between would keep results without
it. Every write to the index (an article indexed or removed, a reindex batch)
changes this number, in the shared cache. A missing number (a cleared or culled
cache) starts again from the clock, never from a value used before.
"""

from __future__ import annotations

import time

from django.core.cache import cache

INDEX_VERSION_KEY = "masthead.search.index-version"


def current() -> int:
    value = cache.get(INDEX_VERSION_KEY)
    if value is None:
        cache.add(INDEX_VERSION_KEY, time.time_ns(), timeout=None)
        value = cache.get(INDEX_VERSION_KEY, 0)
    return int(value)


def changed() -> None:
    """The index was written: results kept before are not used again."""
    try:
        cache.incr(INDEX_VERSION_KEY)
    except ValueError:  # not in the cache: a new number
        cache.add(INDEX_VERSION_KEY, time.time_ns(), timeout=None)


class VersionedIndex:
    """A mixin for the backends' index classes: removing entries changes the index version.

    Their `add_items` (written for Masthead) call `changed()` themselves.
    """

    def delete_item(self, item):
        super().delete_item(item)  # type: ignore[misc]
        changed()

    def delete_stale_entries(self):
        super().delete_stale_entries()  # type: ignore[misc]
        changed()
