"""Reads for the access admin and reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Sum

from .enums import FunnelEvent
from .models import FunnelCount, Institution


@dataclass(frozen=True)
class InstitutionMonth:
    month: dt.date
    institution: str
    full_reads: int
    articles: int


def institution_monthly_reads(*, since: dt.date, until: dt.date) -> list[InstitutionMonth]:
    """Full-text reads by each institution's members per calendar month, for the institutions' own reports."""
    names = dict(Institution.objects.values_list("pk", "name"))
    rows = (
        FunnelCount.objects.filter(event=FunnelEvent.FULL_READ, institution_id__gt=0, day__gte=since, day__lte=until)
        .values("day", "institution_id", "article_id")
        .annotate(reads=Sum("count"))
    )
    months: dict[tuple[dt.date, int], dict] = {}
    for row in rows:
        key = (row["day"].replace(day=1), row["institution_id"])
        entry = months.setdefault(key, {"reads": 0, "articles": set()})
        entry["reads"] += row["reads"]
        entry["articles"].add(row["article_id"])
    return [
        InstitutionMonth(
            month=month,
            institution=names.get(institution_id, f"Deleted institution {institution_id}"),
            full_reads=entry["reads"],
            articles=len(entry["articles"]),
        )
        for (month, institution_id), entry in sorted(
            months.items(), key=lambda item: (item[0][0], names.get(item[0][1], ""))
        )
    ]


def seats_taken() -> dict[int, int]:
    return dict(Institution.objects.annotate(taken=Count("seats")).values_list("pk", "taken"))
