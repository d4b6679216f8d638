"""Editors' reports on access, in the Wagtail admin."""

from __future__ import annotations

import csv
import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .selectors import institution_monthly_reads


def _month(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    return dt.datetime.strptime(value, "%Y-%m").date().replace(day=1)


def institution_reads_csv(request: HttpRequest) -> HttpResponse:
    """Monthly full-text reads per institution as CSV: `?from=2026-01&to=2026-11` (default: the last 12 months)."""
    if not request.user.has_perm("access.view_institution"):
        raise PermissionDenied
    today = timezone.localdate()
    this_month = today.replace(day=1)
    try:
        until = _month(request.GET.get("to"), this_month)
        since = _month(request.GET.get("from"), (this_month - dt.timedelta(days=335)).replace(day=1))
    except ValueError:
        return HttpResponse(
            "Months are written YYYY-MM, e.g. ?from=2026-01&to=2026-06.", status=400, content_type="text/plain"
        )
    last_day = (until.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="institution-reads-{since:%Y-%m}-to-{until:%Y-%m}.csv"'
    writer = csv.writer(response)
    writer.writerow(["month", "institution", "full_text_reads", "distinct_articles"])
    for row in institution_monthly_reads(since=since, until=last_day):
        writer.writerow([f"{row.month:%Y-%m}", _csv_safe(row.institution), row.full_reads, row.articles])
    return response


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
