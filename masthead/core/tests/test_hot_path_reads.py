"""Settings and dates read once per process or second (core.conf, core.clock) still follow every change."""

import datetime as dt

from masthead.core import clock
from masthead.core.conf import setting


def test_a_remembered_setting_follows_an_override(settings):
    settings.SERVING_FAST_ROUTE = True
    assert setting("SERVING_FAST_ROUTE", "default") is True
    settings.SERVING_FAST_ROUTE = False
    assert setting("SERVING_FAST_ROUTE", "default") is False
    assert setting("A_SETTING_NOBODY_SET", "default") == "default"


def test_the_remembered_date_is_the_publications_date_of_that_second(settings):
    moment = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    settings.TIME_ZONE = "UTC"
    assert clock.local_date(moment) == dt.date(2026, 11, 30)
    settings.TIME_ZONE = "Asia/Kabul"  # UTC+4:30: already the first of December
    assert clock.local_date(moment) == dt.date(2026, 12, 1)
    assert clock.local_date(moment + dt.timedelta(days=1)) == dt.date(2026, 12, 2)
    assert clock.local_date(moment + dt.timedelta(microseconds=1)) == dt.date(2026, 12, 1)
