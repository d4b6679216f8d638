"""Send workers: who holds which deliveries, and how a dead worker's claims are recovered.

Every process that sends registers a `SendWorker` row (host, pid, heartbeat)
before it claims anything. A worker is dead when its process is gone (same
host: the pid no longer exists) or it has been silent for
NEWSLETTER_WORKER_STALE_SECONDS (another host, or a reused pid).

A worker sends its claimed deliveries one at a time in id order and records
each outcome before starting the next. So of a dead worker's deliveries still
marked *sending*, only the first can have been in flight: it becomes
**unknown** (flagged for an editor), and the rest — certainly never begun —
go back to *pending*. At most one delivery per dead worker and issue is
flagged; none is sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .enums import DeliveryState, IssueStatus
from .models import Delivery, Issue, SendWorker

logger = logging.getLogger(__name__)
HEARTBEAT_EVERY_SECONDS = 5.0
IN_FLIGHT_NOTE = "The worker stopped while sending this email: it may have been delivered. An editor decides."


def _hostname() -> str:
    return socket.gethostname()[:255]


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerHandle:
    """This process as a send worker: registered while it sends, heartbeat while it works."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
        self._last_beat = 0.0
        SendWorker.objects.create(id=self.id, hostname=_hostname(), pid=os.getpid())

    def heartbeat(self, *, issue_id: int | None = None, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_EVERY_SECONDS:
            SendWorker.objects.filter(pk=self.id).update(heartbeat_at=timezone.now(), issue_id=issue_id)
            self._last_beat = now

    def close(self) -> None:
        """A clean stop: anything still claimed was never begun (the send loop releases it first)."""
        Delivery.objects.filter(claimed_by=self.id, state=DeliveryState.SENDING).update(
            state=DeliveryState.PENDING, claimed_by="", claimed_at=None
        )
        SendWorker.objects.filter(pk=self.id).delete()

    def __enter__(self) -> WorkerHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def is_dead(worker: SendWorker, *, now: dt.datetime, current_id: str | None = None) -> bool:
    if worker.pk == current_id:
        return False
    stale = now - worker.heartbeat_at > dt.timedelta(seconds=settings.NEWSLETTER_WORKER_STALE_SECONDS)
    if stale:
        return True
    if worker.hostname == _hostname():
        if worker.pid == os.getpid():
            return current_id is not None  # an old registration of this very process
        return not process_exists(worker.pid)
    return False


def live_workers_on(issue_id: int, *, now: dt.datetime | None = None) -> list[SendWorker]:
    now = now or timezone.now()
    return [w for w in SendWorker.objects.filter(issue_id=issue_id) if not is_dead(w, now=now)]


def recover_abandoned(*, now: dt.datetime | None = None, current_id: str | None = None) -> int:
    """Release the claims of dead workers; flag the one delivery each may have had in flight. Returns flagged."""
    now = now or timezone.now()
    dead = [w.pk for w in SendWorker.objects.all() if is_dead(w, now=now, current_id=current_id)]
    known = set(SendWorker.objects.values_list("pk", flat=True))
    # Claims by a worker with no registration at all (its row deleted by hand): only issues being sent can
    # have deliveries in "sending", so look there (an index lookup, not a scan of every delivery).
    in_progress = list(
        Issue.objects.filter(status__in=[IssueStatus.STARTING, IssueStatus.SENDING]).values_list("pk", flat=True)
    )
    claimants = set(
        Delivery.objects.filter(issue_id__in=in_progress, state=DeliveryState.SENDING)
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    orphaned = claimants - known
    flagged = 0
    for worker_id in [*dead, *sorted(orphaned)]:
        with transaction.atomic():
            rows = list(
                Delivery.objects.filter(claimed_by=worker_id, state=DeliveryState.SENDING)
                .order_by("issue_id", "id")
                .values_list("id", "issue_id")
            )
            first_of_issue: dict[int, int] = {}
            for delivery_id, issue_id in rows:
                first_of_issue.setdefault(issue_id, delivery_id)
            in_flight = list(first_of_issue.values())
            if in_flight:
                Delivery.objects.filter(pk__in=in_flight).update(
                    state=DeliveryState.UNKNOWN, error=IN_FLIGHT_NOTE, claimed_at=now
                )
            Delivery.objects.filter(claimed_by=worker_id, state=DeliveryState.SENDING).update(
                state=DeliveryState.PENDING, claimed_by="", claimed_at=None
            )
            SendWorker.objects.filter(pk=worker_id).delete()
        if rows:
            logger.warning(
                "Send worker %s stopped mid-send: %d delivery flagged, %d released",
                worker_id,
                len(in_flight),
                len(rows) - len(in_flight),
            )
        flagged += len(in_flight)
    return flagged
