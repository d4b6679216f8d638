"""The publication's calendar: dates in its time zone (TIME_ZONE), for code that runs on every request.

`django.utils.timezone.localtime` looks up the active time zone in a
context-local on every call (about 15 µs); Masthead never activates another
zone, so the publication's date is the default zone's.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The publication's date at `moment` (default: now)."""
    return (moment or timezone.now()).astimezone(timezone.get_default_timezone()).date()
