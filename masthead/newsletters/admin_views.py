"""The admin page where an editor schedules, tests and follows the sending of an issue."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from masthead.accounts.models import User

from . import sending
from .enums import DeliveryState, IssueStatus
from .mailer import Outcome
from .models import Delivery, Issue

FLAGGED_SHOWN = 200


def send_url(issue: Issue) -> str:
    return reverse("wagtailsnippets_newsletters_issue:send", args=[issue.pk])


def _may_view(user) -> bool:
    return user.has_perm("newsletters.change_issue") or user.has_perm("newsletters.send_issue")


def _parse_when(value: str) -> dt.datetime | None:
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


@require_http_methods(["GET", "HEAD", "POST"])
def send_view(request: HttpRequest, pk: str) -> HttpResponse:
    if not _may_view(request.user):
        raise PermissionDenied
    issue = get_object_or_404(Issue.objects.select_related("newsletter"), pk=pk)
    may_send = request.user.has_perm("newsletters.send_issue")
    if request.method == "POST":
        if not may_send:
            raise PermissionDenied
        return _act(request, issue)
    counts = sending.state_counts(issue.pk)
    total = sum(counts.values())
    done = total - counts[DeliveryState.PENDING] - counts[DeliveryState.SENDING]
    flagged = list(Delivery.objects.filter(issue=issue, state=DeliveryState.UNKNOWN).order_by("pk")[:FLAGGED_SHOWN])
    context = {
        "issue": issue,
        "counts": [(DeliveryState(state).label, state, n) for state, n in counts.items()],
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 0,
        "flagged": flagged,
        "flagged_total": counts[DeliveryState.UNKNOWN],
        "failed": list(Delivery.objects.filter(issue=issue, state=DeliveryState.FAILED).order_by("pk")[:50]),
        "may_send": may_send,
        "editable": issue.is_editable,
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "edit_url": reverse("wagtailsnippets_newsletters_issue:edit", args=[issue.pk]),
        "confirm_resend": request.GET.get("confirm_resend") == "1",
        "header_icon": "mail",
        "page_title": f"Send: {issue}",
        "breadcrumbs_items": [
            {"url": reverse("wagtailadmin_home"), "label": "Home"},
            {"url": reverse("wagtailsnippets_newsletters_issue:list"), "label": "Issues"},
            {"url": reverse("wagtailsnippets_newsletters_issue:edit", args=[issue.pk]), "label": str(issue)},
            {"url": "", "label": "Send"},
        ],
        "header_title": f"Send: {issue}",
        "refresh": issue.status in (IssueStatus.STARTING, IssueStatus.SENDING),
    }
    return TemplateResponse(request, "newsletters/admin/send.html", context)


def _act(request: HttpRequest, issue: Issue) -> HttpResponse:
    action = request.POST.get("action")
    here = send_url(issue)
    try:
        if action == "send_now":
            sending.schedule(issue, at=timezone.now(), user=request.user)
            messages.success(request, f"Sending {issue} now.")
        elif action == "schedule":
            when = _parse_when(request.POST.get("scheduled_at", ""))
            if when is None:
                messages.error(request, "Give a date and time to send it.")
            elif when <= timezone.now():
                messages.error(request, "Choose a time in the future, or send it now.")
            else:
                sending.schedule(issue, at=when, user=request.user)
                messages.success(request, f"{issue} will be sent on {timezone.localtime(when):%-d %B at %H:%M}.")
        elif action == "unschedule":
            if sending.unschedule(issue):
                messages.success(request, "Unscheduled: the issue is a draft again.")
        elif action == "test":
            mode = request.POST.get("mode", "free")
            editor = cast(User, request.user)
            result = sending.send_test(issue, to_user=editor, mode=mode if mode == "subscriber" else "free")
            if result.outcome == Outcome.SENT:
                messages.success(request, f"A test ({mode}) was sent to {editor.email}.")
            else:
                messages.error(request, f"The test could not be sent: {result.detail}")
        elif action == "resend":
            ids = [int(v) for v in request.POST.getlist("delivery") if v.isdigit()]
            if request.POST.get("confirm") != "yes":
                messages.error(request, "Tick “I understand” to re-send: these readers may get the issue twice.")
            elif not ids:
                messages.error(request, "Choose the deliveries to send again.")
            else:
                count = sending.resend_flagged(issue, delivery_ids=ids, user=request.user)
                messages.success(request, f"{count} email{'s' if count != 1 else ''} will be sent again.")
        else:
            messages.error(request, "Unknown action.")
    except sending.NotSendable as error:
        messages.error(request, str(error))
    return redirect(here)
