"""Masthead's own settings, read once rather than on every request.

Reading a setting through `django.conf.settings` goes through its lazy
object on every access (about a microsecond); code that runs on every
request reads its settings here instead. The values are forgotten whenever
a setting changes (`setting_changed`: tests' overrides).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

_read: dict[str, Any] = {}
_MISSING = object()


def setting(name: str, default: Any) -> Any:
    """`getattr(settings, name, default)`, remembered (one default per name)."""
    value = _read.get(name, _MISSING)
    if value is _MISSING:
        value = _read[name] = getattr(settings, name, default)
    return value


def _forget(**kwargs) -> None:
    _read.clear()


setting_changed.connect(_forget)
