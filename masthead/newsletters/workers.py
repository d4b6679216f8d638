"""Send workers: who holds which deliveries, and how a dead worker's claims are recovered.

Every process that sends registers a `SendWorker` row (host, pid, heartbeat,
and its commit window) before it claims anything. A worker is dead when its
process is gone (same host: the pid no longer exists) or it has been silent
for NEWSLETTER_WORKER_STALE_SECONDS (another host, or a reused pid).

A worker sends its claimed deliveries in id order and commits their outcomes
in order, a group per transaction, never having more than `commit_every`
(NEWSLETTER_COMMIT_EVERY) emails handed to the mail server with their
outcomes unrecorded (see `sending.OutcomeRecorder`). So of a dead worker's
deliveries still marked *sending*, only the first `commit_every` (per issue)
can have been handed over unrecorded: they become **unknown** (flagged for an
editor), and the rest — certainly never begun — go back to *pending*. At most
`commit_every` deliveries per dead worker and issue are flagged; none is sent
twice. A worker row created without a window (older workers, tests) has a
window of 1: one email at a time, as before commits were grouped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .enums import DeliveryState, IssueStatus
from .models import Delivery, Issue, SendWorker

logger = logging.getLogger(__name__)
HEARTBEAT_EVERY_SECONDS = 5.0
DEFAULT_COMMIT_EVERY = 20
IN_FLIGHT_NOTE = "The worker stopped while sending this email: it may have been delivered. An editor decides."


def commit_every_setting() -> int:
    """NEWSLETTER_COMMIT_EVERY: how many emails' outcomes a worker commits together (at least 1).

    Also the most deliveries a killed worker can leave flagged per issue: the bigger, the fewer commits
    (each waits for the disk) and the more emails an editor may have to decide about after a crash.
    """
    return max(1, int(getattr(settings, "NEWSLETTER_COMMIT_EVERY", DEFAULT_COMMIT_EVERY)))


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

    def __init__(self, *, commit_every: int | None = None) -> None:
        self.id = uuid.uuid4().hex
        self._last_beat = 0.0
        # Registered before anything is claimed: whoever recovers this worker's claims reads its window here.
        self.commit_every = max(1, commit_every or commit_every_setting())
        # True from the moment an email of a group is handed over until the group's outcomes are committed.
        self.unrecorded = False
        SendWorker.objects.create(id=self.id, hostname=_hostname(), pid=os.getpid(), commit_every=self.commit_every)

    def heartbeat(self, *, issue_id: int | None = None, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_EVERY_SECONDS:
            SendWorker.objects.filter(pk=self.id).update(heartbeat_at=timezone.now(), issue_id=issue_id)
            self._last_beat = now

    def close(self) -> None:
        """Stop working. After a clean stop anything still claimed was never begun (the send loop records
        its outcomes and releases the rest first). After an error between handing emails over and recording
        them, this worker's current group is flagged, as if it had died."""
        release_claims(self.id, window=self.commit_every if self.unrecorded else 0, now=timezone.now())

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
    """Release the claims of dead workers; flag the deliveries each may have had in flight. Returns flagged."""
    now = now or timezone.now()
    workers = list(SendWorker.objects.all())
    dead = [(w.pk, w.commit_every) for w in workers if is_dead(w, now=now, current_id=current_id)]
    known = {w.pk for w in workers}
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
    # Nothing says how many emails an unregistered worker had unrecorded: all its claims are flagged.
    orphaned: list[tuple[str, int | None]] = [(worker_id, None) for worker_id in sorted(claimants - known)]
    flagged = 0
    for worker_id, window in [*dead, *orphaned]:
        flagged += release_claims(worker_id, window=window, now=now)
    return flagged


def release_claims(worker_id: str, *, window: int | None, now: dt.datetime) -> int:
    """End a worker's claims: per issue, its first `window` deliveries still *sending* (all, if None) may
    have been handed over unrecorded and become unknown; the rest go back to pending. Returns flagged.

    The rows are locked first, so a worker wrongly thought dead that commits a group meanwhile is either
    seen with that group recorded or finds its claims gone when it commits (and stops).
    """
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update()
            .filter(claimed_by=worker_id, state=DeliveryState.SENDING)
            .order_by("issue_id", "id")
            .values_list("id", "issue_id")
        )
        taken: Counter[int] = Counter()
        in_flight: list[int] = []
        for delivery_id, issue_id in rows:
            if window is None or taken[issue_id] < window:
                taken[issue_id] += 1
                in_flight.append(delivery_id)
        if in_flight:
            Delivery.objects.filter(pk__in=in_flight, state=DeliveryState.SENDING).update(
                state=DeliveryState.UNKNOWN, error=IN_FLIGHT_NOTE, claimed_at=now
            )
        Delivery.objects.filter(claimed_by=worker_id, state=DeliveryState.SENDING).update(
            state=DeliveryState.PENDING, claimed_by="", claimed_at=None
        )
        SendWorker.objects.filter(pk=worker_id).delete()
    if in_flight:
        logger.warning(
            "Send worker %s stopped mid-send: %d delivery(ies) flagged, %d released",
            worker_id,
            len(in_flight),
            len(rows) - len(in_flight),
        )
    return len(in_flight)
