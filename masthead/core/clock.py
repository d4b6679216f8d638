"""The publication's calendar: dates in its time zone (TIME_ZONE), for code that runs on every request.

`django.utils.timezone.localtime` looks up the active time zone in a
context-local on every call (about 15 µs); Masthead never activates another
zone, so the publication's date is the default zone's.
"""

from __future__ import annotations

import datetime as dt

from django.core.signals import setting_changed
from django.utils import timezone

_last: tuple[int, dt.date] | None = None  # (whole second since the epoch, the date then)


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The publication's date at `moment` (default: now); the last second asked about is remembered."""
    global _last
    moment = moment or timezone.now()
    second = int(moment.timestamp())
    last = _last
    if last is not None and last[0] == second:
        return last[1]
    date = moment.astimezone(timezone.get_default_timezone()).date()
    _last = (second, date)
    return date


def _forget(**kwargs) -> None:
    global _last
    _last = None


setting_changed.connect(_forget)  # TIME_ZONE overridden in a test
