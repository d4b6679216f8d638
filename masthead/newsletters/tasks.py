"""Newsletter work through the task queue (`django_tasks`; `manage.py db_worker` runs it by default).

`send_issue` sends an issue that is due. The database backend leaves a task
that was running when its worker died marked as running for ever, so before
sending, `send_issue` queues itself again for NEWSLETTER_WATCHDOG_SECONDS
later (on backends that can defer): that later run finds a dead worker's
claims, flags the emails it may have sent unrecorded (at most its commit window),
and finishes the send.
A run that finds a live worker on the issue only queues the next check.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from .enums import IssueStatus
from .models import Issue

logger = logging.getLogger(__name__)


def _can_defer() -> bool:
    return bool(getattr(send_issue.get_backend(), "supports_defer", False))


def queue_send(issue_id: int, *, at: dt.datetime | None = None) -> None:
    """Queue the send for `at` (or now). Backends that cannot defer leave a future send to `newsletter_worker`."""
    if at is not None and at > timezone.now():
        if _can_defer():
            send_issue.using(run_after=at).enqueue(issue_id)
        return
    send_issue.enqueue(issue_id)


def _queue_watchdog(issue_id: int) -> None:
    if _can_defer():
        later = timezone.now() + dt.timedelta(seconds=settings.NEWSLETTER_WATCHDOG_SECONDS)
        send_issue.using(run_after=later).enqueue(issue_id)


@task()
def send_issue(issue_id: int) -> dict:
    from .sending import run_send
    from .workers import WorkerHandle, live_workers_on

    issue = Issue.objects.filter(pk=issue_id).only("status", "scheduled_at").first()
    if issue is None or issue.status in (IssueStatus.DRAFT, IssueStatus.SENT):
        return {"issue": issue_id, "status": issue.status if issue else "missing"}
    if issue.status == IssueStatus.SCHEDULED and issue.scheduled_at and issue.scheduled_at > timezone.now():
        return {"issue": issue_id, "status": "not due"}  # rescheduled: the task for the new time sends it
    if live_workers_on(issue_id):
        _queue_watchdog(issue_id)
        return {"issue": issue_id, "status": "another worker is sending"}
    _queue_watchdog(issue_id)
    with WorkerHandle() as worker:
        stats = run_send(issue_id, worker=worker)
    return {
        "issue": issue_id,
        "sent": stats.sent,
        "failed": stats.failed,
        "unknown": stats.unknown,
        "skipped": stats.skipped,
        "retry": stats.retried,
    }


@task()
def send_due_issues() -> list[int]:
    """For a periodic trigger (cron): queue every issue that is due, in case its own task was lost."""
    from .sending import due_issue_ids

    ids = due_issue_ids()
    for issue_id in ids:
        send_issue.enqueue(issue_id)
    return ids


@task()
def draft_upcoming_issues() -> list[int]:
    """For a periodic trigger (cron, daily): draft tomorrow's issues. Editors review and schedule them."""
    from .digests.drafting import draft_upcoming

    return [draft.issue.pk for draft in draft_upcoming()]


@task()
def send_opt_in_invitations(limit: int = 1000) -> int:
    from .preferences import invite_unconfirmed

    return invite_unconfirmed(limit=limit)
