"""A small least-recently-used map for a process's own copies of things keyed by a version."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

_all: list[Memo] = []


class Memo:
    """Bounded, safe across threads. Keys must name everything the value depends on (versions included)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        _all.append(self)

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def shared_key(prefix: str, signature: Any) -> str:
    """The shared cache's key for what a process keeps under `signature` (everything it depends on, versions
    included): `prefix` and a digest of the signature's repr, so another process finds it under the same key."""
    return f"{prefix}:{hashlib.sha256(repr(signature).encode()).hexdigest()[:40]}"


def forget_all() -> None:
    """Empty every memo of this process and forget the content version it read (tests)."""
    from . import content_version

    for memo in _all:
        memo.clear()
    content_version.forget()
