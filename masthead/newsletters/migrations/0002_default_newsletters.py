"""The publication's newsletters: the Daily Review, the Weekly Review, and the free briefing."""

import datetime as dt

from django.db import migrations

NEWSLETTERS = [
    {
        "slug": "daily",
        "name": "The Daily Review",
        "description": "Every weekday morning: our take on the day and the analysis we published since the last issue.",
        "cadence": "weekdays",
        "send_weekday": 0,
        "send_time": dt.time(6, 30),
        "audience": "all",
        "default_for_new_readers": True,
        "sort_order": 1,
    },
    {
        "slug": "weekly",
        "name": "The Weekly Review",
        "description": "On Saturdays: the week's most important analysis in two sentences each, and what is coming next.",
        "cadence": "weekly",
        "send_weekday": 5,
        "send_time": dt.time(8, 0),
        "audience": "all",
        "default_for_new_readers": True,
        "sort_order": 2,
    },
    {
        "slug": "briefing",
        "name": "The Meridian Briefing",
        "description": "Free for registered readers, on Wednesdays: what we are reading and the analysis free to everyone.",
        "cadence": "weekly",
        "send_weekday": 2,
        "send_time": dt.time(7, 0),
        "audience": "free",
        "default_for_new_readers": False,
        "sort_order": 3,
    },
]


def create(apps, schema_editor):
    Newsletter = apps.get_model("newsletters", "Newsletter")
    for fields in NEWSLETTERS:
        Newsletter.objects.get_or_create(slug=fields["slug"], defaults=fields)


def remove(apps, schema_editor):
    apps.get_model("newsletters", "Newsletter").objects.filter(
        slug__in=[n["slug"] for n in NEWSLETTERS], issues__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("newsletters", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
