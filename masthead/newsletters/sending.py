"""Sending an issue: freeze the recipient list, claim batches, send each email once, record every outcome.

1. `start_send` (when the issue is due) takes the snapshot and freezes the
   recipient list: one `Delivery` per eligible reader, unique per issue and
   reader, inserted in chunks so a restart simply carries on.
2. Workers `claim_batch` under a lock — `SELECT ... FOR UPDATE SKIP LOCKED`
   on PostgreSQL; on SQLite each claim is an IMMEDIATE transaction, one writer
   at a time. Claiming re-checks each reader: who unsubscribed, was
   suppressed, closed their account or left the audience since the freeze is
   skipped, before their email is written.
3. `send_batch` sends the batch's emails over one connection, in id order,
   and `OutcomeRecorder` commits their outcomes group by group, in order,
   never leaving more than the worker's `commit_every` emails handed over
   and unrecorded (see `workers` for why that bounds what a killed worker
   leaves unknown to that window).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone

from masthead.access.decisions import Reader

from . import mailer
from .audience import RECIPIENT_FIELDS, current_skips, in_audience, readers_for_users, verified_ids
from .enums import DeliveryState, IssueStatus, SkipReason
from .mailer import Outcome
from .models import Delivery, Issue
from .rendering import SLOT_UNSUBSCRIBE, IssueRenderer, recipient_tokens
from .snapshot import all_article_ids, build_snapshot
from .workers import WorkerHandle, recover_abandoned

logger = logging.getLogger(__name__)
FREEZE_CHUNK = 5000
MAX_ATTEMPTS = 5
RETRY_BACKOFF_SECONDS = (30, 120, 600, 1800)


class NotSendable(Exception):
    """The issue cannot be scheduled or sent as it stands."""


def meter_quota() -> int:
    from wagtail.models import Site

    from masthead.access.models import AccessSettings

    site = Site.objects.filter(is_default_site=True).first()
    return AccessSettings.for_site(site).monthly_free_articles if site else 3


# --- Scheduling ---------------------------------------------------------------------------------


def check_sendable(issue: Issue) -> None:
    if not issue.is_editable:
        raise NotSendable("This issue is already being sent.")
    if not issue.subject.strip():
        raise NotSendable("Write a subject first.")
    if not build_snapshot(issue)["sections"]:
        raise NotSendable("Add at least one article to a section first.")
    if not issue.newsletter.is_active:
        raise NotSendable(f"{issue.newsletter} is not active.")


def schedule(issue: Issue, *, at: dt.datetime, user=None, queue: bool = True) -> None:
    """Send the issue at `at` (now or later). The send task is queued once the change is committed."""
    check_sendable(issue)
    Issue.objects.filter(pk=issue.pk).update(
        status=IssueStatus.SCHEDULED, scheduled_at=at, scheduled_by=user, updated_at=timezone.now()
    )
    issue.refresh_from_db()
    from .tasks import queue_send

    if queue:
        transaction.on_commit(lambda: queue_send(issue.pk, at=at))


def unschedule(issue: Issue) -> bool:
    return bool(
        Issue.objects.filter(pk=issue.pk, status=IssueStatus.SCHEDULED).update(
            status=IssueStatus.DRAFT, scheduled_at=None
        )
    )


# --- Freezing the recipient list ----------------------------------------------------------------


def start_send(issue_id: int, *, now: dt.datetime | None = None) -> Issue | None:
    """Take the snapshot and freeze the recipients if the issue is due; idempotent. None if not due."""
    from .audience import eligible_readers

    now = now or timezone.now()
    with transaction.atomic():
        issue = Issue.objects.select_for_update().select_related("newsletter").get(pk=issue_id)
        if issue.status == IssueStatus.SCHEDULED:
            if issue.scheduled_at and issue.scheduled_at > now:
                return None
            issue.snapshot = build_snapshot(issue, now=now)
            issue.status = IssueStatus.STARTING
            issue.send_started_at = now
            issue.save(update_fields=["snapshot", "status", "send_started_at", "updated_at"])
    if issue.status == IssueStatus.STARTING:
        reader_ids = [reader_id for reader_id, _ in eligible_readers(issue.newsletter)]
        for start in range(0, len(reader_ids), FREEZE_CHUNK):
            chunk = reader_ids[start : start + FREEZE_CHUNK]
            _freeze_chunk(issue, low=chunk[0], high=chunk[-1])
        Issue.objects.filter(pk=issue.pk, status=IssueStatus.STARTING).update(status=IssueStatus.SENDING)
        issue.refresh_from_db()
        logger.info("Issue %s: %d recipients frozen", issue.pk, len(reader_ids))
    return issue


def _freeze_chunk(issue: Issue, *, low: int, high: int) -> None:
    """One INSERT ... SELECT of the eligible readers with ids in [low, high]; those already in are kept.

    Plain SQL: the ORM would build 100,000 model instances to insert what the database can copy itself.
    """
    from .audience import eligible_readers

    eligible = eligible_readers(issue.newsletter).filter(reader_id__gte=low, reader_id__lte=high)
    select_sql, select_params = eligible.query.sql_with_params()
    ops = connection.ops
    table = ops.quote_name(Delivery._meta.db_table)
    fields = {field.name: field for field in Delivery._meta.concrete_fields}
    names = ("issue", "reader", "email", "state", "skip_reason", "claimed_by", "attempts", "message_id", "error")
    columns = ", ".join(ops.quote_name(str(fields[name].column)) for name in names)
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names are ours, values are parameters
        f"SELECT %s, eligible.*, %s, '', '', 0, '', '' FROM ({select_sql}) eligible WHERE 1 = 1 "
        "ON CONFLICT DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [issue.pk, DeliveryState.PENDING.value, *select_params])


# --- Claiming -----------------------------------------------------------------------------------


@dataclass
class Claimed:
    """A batch this worker now holds, with what it needs to write each email."""

    deliveries: list[Delivery]
    users: dict
    readers: dict[int, Reader]
    skipped: int = 0


def claim_batch(issue: Issue, *, worker_id: str, size: int, now: dt.datetime) -> Claimed:
    User = get_user_model()
    newsletter = issue.newsletter
    with transaction.atomic():
        due = Q(retry_after__isnull=True) | Q(retry_after__lte=now)
        deliveries = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due, issue_id=issue.pk, state=DeliveryState.PENDING)
            .only("id", "issue_id", "reader_id", "email", "attempts")
            .order_by("id")[:size]
        )
        if not deliveries:
            return Claimed([], {}, {})
        users = {u.pk: u for u in User.objects.filter(pk__in=[d.reader_id for d in deliveries]).only(*RECIPIENT_FIELDS)}
        present = list(users.values())
        verified = verified_ids(present)
        skips = current_skips(present, newsletter=newsletter, verified=verified)
        readers = readers_for_users(
            [u for u in present if u.pk not in skips],
            quota=meter_quota(),
            article_ids=all_article_ids(issue.snapshot or {"sections": []}),
            now=now,
            verified=verified,
        )
        for reader_id, reader in readers.items():
            if not in_audience(newsletter.audience, reader, now):
                skips[reader_id] = SkipReason.AUDIENCE
        keep: list[Delivery] = []
        by_reason: dict[str, list[int]] = {}
        for delivery in deliveries:
            user = users.get(delivery.reader_id)
            reason = skips.get(delivery.reader_id, SkipReason.INACTIVE if user is None else None)
            if reason:
                by_reason.setdefault(reason, []).append(delivery.pk)
            else:
                keep.append(delivery)
        for reason, skipped_ids in by_reason.items():
            Delivery.objects.filter(pk__in=skipped_ids).update(
                state=DeliveryState.SKIPPED, skip_reason=reason, claimed_at=now
            )
        changed = []
        for delivery in keep:
            current = users[delivery.reader_id].email  # the (confirmed) address as it is now
            if delivery.email != current:
                delivery.email = current
                changed.append(delivery)
        if changed:
            Delivery.objects.bulk_update(changed, ["email"])
        Delivery.objects.filter(pk__in=[d.pk for d in keep], state=DeliveryState.PENDING).update(
            state=DeliveryState.SENDING, claimed_by=worker_id, claimed_at=now
        )
    skipped_count = sum(len(v) for v in by_reason.values())
    return Claimed(keep, users, readers, skipped=skipped_count)


# --- Sending ------------------------------------------------------------------------------------


class Pacer:
    """At most `rate` emails a second (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


@dataclass
class SendStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    unknown: int = 0
    skipped: int = 0
    batches: int = 0
    variants: int = 0
    seconds: float = 0.0
    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


class IssueMailer:
    """Writes each recipient's copy of one issue: variants rendered once, tokens filled in per recipient."""

    def __init__(self, issue: Issue) -> None:
        if not issue.snapshot:
            raise NotSendable(f"Issue {issue.pk} has no snapshot: it has not started sending.")
        self.issue = issue
        self.snapshot: dict = issue.snapshot
        self.renderer = IssueRenderer(self.snapshot)
        self.envelope = mailer.envelope_for(self.snapshot)
        self._mime: dict = {}

    def copy_for(self, delivery: Delivery, reader: Reader, now: dt.datetime):
        variant = self.renderer.variant(reader, now)
        rendered = self.renderer.rendered(variant)
        values = recipient_tokens(
            reader_id=delivery.reader_id, issue_id=self.issue.pk, newsletter_id=self.snapshot["newsletter"]["id"]
        )
        return variant, rendered, values

    def prepare(self, session: mailer.Session, delivery: Delivery, reader: Reader, now: dt.datetime) -> Outgoing:
        """The recipient's copy, ready to hand over: MIME bytes for the SMTP fast path, else a Django message."""
        variant, rendered, values = self.copy_for(delivery, reader, now)
        msgid = mailer.message_id(self.envelope, issue_id=self.issue.pk, delivery_id=delivery.pk)
        if session.fast and delivery.email.isascii():
            template = self._mime.get(variant)
            if template is None:
                template = self._mime[variant] = mailer.MimeTemplate(self.envelope, rendered)
            data = template.fill(
                {
                    mailer.SLOT_TO: delivery.email.encode(),
                    mailer.SLOT_DATE: email.utils.formatdate().encode(),
                    mailer.SLOT_MESSAGE_ID: msgid.encode(),
                    **{slot: value.encode() for slot, value in values.items()},
                }
            )
            return Outgoing(delivery=delivery, data=data)
        message = mailer.django_message(
            envelope=self.envelope,
            to=delivery.email,
            text=rendered.text.fill(values),
            html=rendered.html.fill(values),
            unsubscribe_url=self.envelope.unsubscribe_url.replace(SLOT_UNSUBSCRIBE, values[SLOT_UNSUBSCRIBE]),
            message_id_value=msgid,
        )
        return Outgoing(delivery=delivery, message=message)

    def send(self, session: mailer.Session, delivery: Delivery, reader: Reader, now: dt.datetime) -> mailer.Result:
        return self.hand_over(session, self.prepare(session, delivery, reader, now))

    def hand_over(self, session: mailer.Session, outgoing: Outgoing, then=None) -> mailer.Result:
        """Send one copy. `then` runs while the server works on it (after the message is written, before its
        reply is read): the next copy is prepared there. Nothing is sent there: the caller decides whether
        this outcome must be committed before the next email starts."""
        if outgoing.data is not None:
            early = session.start(
                envelope_from=self.envelope.envelope_from, to=outgoing.delivery.email, data=outgoing.data
            )
            if then is not None:
                then()
            return early or session.finish()
        assert outgoing.message is not None  # noqa: S101 - prepare() gives bytes or a message
        result = session.send_message(outgoing.message)
        if then is not None:
            then()
        return result


@dataclass
class Outgoing:
    delivery: Delivery
    data: bytes | None = None
    message: EmailMultiAlternatives | None = None


@dataclass
class Handed:
    """An email handed to the mail server whose outcome is not committed yet."""

    delivery: Delivery
    result: mailer.Result
    at: dt.datetime


def _outcome_row(handed: Handed, *, worker_id: str) -> list[str | int | None]:
    """(state, sent_at, error, claimed_by, retry_after, attempts) for one outcome."""
    delivery, result, now = handed.delivery, handed.result, handed.at
    attempts = delivery.attempts + 1
    outcome = result.outcome
    sent_at: dt.datetime | None = None
    retry_after: dt.datetime | None = None
    claimed_by = worker_id
    if outcome == Outcome.SENT:
        state, error, sent_at = DeliveryState.SENT, "", now
    elif outcome == Outcome.FAILED:
        state, error = DeliveryState.FAILED, result.detail
    elif outcome == Outcome.UNKNOWN:
        state, error = DeliveryState.UNKNOWN, result.detail
    elif attempts >= MAX_ATTEMPTS:
        state, error = DeliveryState.FAILED, f"Gave up after {attempts} attempts: {result.detail}"
    else:
        delay = RETRY_BACKOFF_SECONDS[min(attempts, len(RETRY_BACKOFF_SECONDS)) - 1]
        state, error, claimed_by = DeliveryState.PENDING, result.detail, ""
        retry_after = now + dt.timedelta(seconds=delay)
    adapt = connection.ops.adapt_datetimefield_value
    return [state.value, adapt(sent_at), error[:300], claimed_by, adapt(retry_after), attempts]


_OUTCOME_COLUMNS = ("state", "sent_at", "error", "claimed_by", "retry_after", "attempts")
_OUTCOME_CASTS = ("varchar", "timestamptz", "varchar", "varchar", "timestamptz", "integer")


def _record(group: list[Handed], *, worker_id: str) -> bool:
    """Commit a group's outcomes in one transaction, each guarded by our claim. False if any claim was
    taken from us (we were thought dead): the others are still recorded.

    One commit per group, not per email: on PostgreSQL each commit waits for the disk, which would
    otherwise set the pace. That a group is committed whole before the next one starts is what lets a dead
    worker's unrecorded emails be identified (see `workers`). Plain SQL, one statement per group on
    PostgreSQL (an UPDATE from a VALUES list: a third of the time of one UPDATE per email, pipelined),
    executemany elsewhere (SQLite runs in this process: there are no round trips to save).
    """
    if not group:
        return True
    ops = connection.ops
    table = ops.quote_name(Delivery._meta.db_table)
    outcomes = [[handed.delivery.pk, *_outcome_row(handed, worker_id=worker_id)] for handed in group]
    guard: list[str | int | None] = [worker_id, DeliveryState.SENDING.value]
    # A retry_after already set stays when the outcome sets none.
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            row = "(%s::bigint, " + ", ".join(f"%s::{cast}" for cast in _OUTCOME_CASTS) + ")"
            names = ", ".join(_OUTCOME_COLUMNS)
            sets = ", ".join(
                f"{name} = COALESCE(v.{name}, d.{name})" if name == "retry_after" else f"{name} = v.{name}"
                for name in _OUTCOME_COLUMNS
            )
            sql = (
                f"UPDATE {table} d SET {sets} FROM (VALUES {', '.join([row] * len(outcomes))}) "  # noqa: S608 - names are ours
                f"AS v(id, {names}) WHERE d.id = v.id AND d.claimed_by = %s AND d.state = %s"
            )
            cursor.execute(sql, [value for outcome in outcomes for value in outcome] + guard)
        else:
            sets = ", ".join(
                f"{ops.quote_name(name)} = COALESCE(%s, {ops.quote_name(name)})"
                if name == "retry_after"
                else f"{ops.quote_name(name)} = %s"
                for name in _OUTCOME_COLUMNS
            )
            sql = f"UPDATE {table} SET {sets} WHERE id = %s AND claimed_by = %s AND state = %s"  # noqa: S608 - names are ours
            cursor.executemany(sql, [[*outcome[1:], outcome[0], *guard] for outcome in outcomes])
        return cursor.rowcount == len(outcomes)


def release(deliveries: list[Delivery], *, worker_id: str) -> None:
    """Give back claimed deliveries never begun (a clean stop, or the connection is down)."""
    if deliveries:
        Delivery.objects.filter(
            pk__in=[d.pk for d in deliveries], claimed_by=worker_id, state=DeliveryState.SENDING
        ).update(state=DeliveryState.PENDING, claimed_by="", claimed_at=None)


MAX_UNRECORDED_SECONDS = 1.0  # a slow (throttled) send still commits its outcomes at least this often


class OutcomeRecorder:
    """Commits a worker's outcomes group by group, in order, so that at most `worker.commit_every` emails
    handed to the server are unrecorded at any moment (what `workers` flags if the worker dies).

    On PostgreSQL (outside a transaction, commits waiting for the disk) a group is committed on a second
    connection, in a thread, while the next group is sent: the wait for the disk overlaps the sending
    instead of pausing it. Groups are then half the window, and a group is handed to the thread only once
    the one before it is committed, so the two unrecorded groups never exceed the window. Elsewhere a group
    is the whole window, committed here.
    """

    def __init__(self, *, worker: WorkerHandle, stats: SendStats) -> None:
        self.worker = worker
        self.stats = stats
        background = (
            worker.commit_every >= 2
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
            and not getattr(settings, "NEWSLETTER_ASYNC_COMMIT", False)
        )
        self.group_size = worker.commit_every // 2 if background else worker.commit_every
        self.executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsletter-outcomes") if background else None
        )
        self.group: list[Handed] = []
        self.started = 0.0
        self.committing: tuple[Future[bool], list[Handed]] | None = None

    def add(self, handed: Handed) -> None:
        if not self.group:
            self.started = time.monotonic()
        self.group.append(handed)

    def due(self) -> bool:
        return bool(self.group) and (
            len(self.group) >= self.group_size or time.monotonic() - self.started >= MAX_UNRECORDED_SECONDS
        )

    def commit(self, *, wait: bool) -> bool:
        """Commit the current group (wait=False: in the background where there is one, returning at once).
        False if any claim was found taken from us. An error leaves the group to be committed again, and
        `worker.unrecorded` set."""
        recorded = self._settle()
        if self.group:
            group = self.group
            if self.executor is not None and not wait:
                self.committing = (self.executor.submit(self._record_there, group), group)
                self.group = []
                return recorded
            recorded = _record(group, worker_id=self.worker.id) and recorded
            self.group = []
            self._count(group)
        self.worker.unrecorded = False
        return recorded

    def close(self) -> None:
        if self.executor is not None:
            self.executor.submit(connections.close_all).result()  # the thread's own connection
            self.executor.shutdown()

    def _record_there(self, group: list[Handed]) -> bool:
        return _record(group, worker_id=self.worker.id)

    def _settle(self) -> bool:
        if self.committing is None:
            return True
        future, group = self.committing
        recorded = future.result()  # an error stays here, raised again on the next try
        self.committing = None
        self._count(group)
        return recorded

    def _count(self, group: list[Handed]) -> None:
        for handed in group:
            outcome = handed.result.outcome
            if outcome == Outcome.SENT:
                self.stats.sent += 1
            elif outcome == Outcome.FAILED:
                self.stats.failed += 1
            elif outcome == Outcome.UNKNOWN:
                self.stats.unknown += 1
            else:
                self.stats.retried += 1


def send_batch(
    issue_mailer: IssueMailer,
    claimed: Claimed,
    *,
    worker: WorkerHandle,
    stats: SendStats,
    pacer: Pacer,
    should_stop: Callable[[], bool],
) -> None:
    """Send a claimed batch over one connection, its outcomes committed in groups (`OutcomeRecorder`).

    If anything goes wrong between handing emails over and committing their outcomes, the outcomes are
    committed on the way out if the database allows; if it does not, `worker.unrecorded` stays set and the
    worker's close (or, if it is killed, whoever recovers it) flags them rather than re-sending them.
    """
    deliveries = claimed.deliveries
    if not deliveries:
        return
    recorder = OutcomeRecorder(worker=worker, stats=stats)
    try:
        with mailer.open_session() as session:

            def prepare(position: int) -> Outgoing:
                delivery = deliveries[position]
                return issue_mailer.prepare(session, delivery, claimed.readers[delivery.reader_id], timezone.now())

            ahead: dict[int, Outgoing] = {}

            def prepare_next(position: int) -> None:
                # Runs while an email is in flight: an error here would lose that email's outcome. The copy is
                # prepared again in its turn, where the error surfaces with nothing in flight.
                if position < len(deliveries):
                    try:
                        ahead[position] = prepare(position)
                    except Exception:
                        logger.debug("Preparing delivery %s ahead failed", deliveries[position].pk, exc_info=True)

            for position, delivery in enumerate(deliveries):
                if should_stop():
                    recorder.commit(wait=True)
                    release(deliveries[position:], worker_id=worker.id)
                    return
                pacer.wait()
                outgoing = ahead.pop(position, None) or prepare(position)
                worker.unrecorded = True
                try:
                    result = issue_mailer.hand_over(session, outgoing, then=lambda p=position: prepare_next(p + 1))
                except BaseException as error:
                    # Whatever it was, the message may have left: recorded as unknown on the way out.
                    result = mailer.Result(Outcome.UNKNOWN, f"Stopped while sending: {error!r}"[:300])
                    recorder.add(Handed(delivery, result, timezone.now()))
                    raise
                recorder.add(Handed(delivery, result, timezone.now()))
                if result.outcome == Outcome.RETRY and (
                    "connect" in result.detail.lower() or "connection" in result.detail.lower()
                ):
                    # The server is unreachable: give the rest back for later rather than failing them one by one.
                    recorder.commit(wait=True)
                    release(deliveries[position + 1 :], worker_id=worker.id)
                    return
                if recorder.due() and not recorder.commit(wait=False):
                    logger.error("Deliveries were taken from worker %s mid-batch; stopping", worker.id)
                    recorder.commit(wait=True)
                    release(deliveries[position + 1 :], worker_id=worker.id)
                    return
                worker.heartbeat(issue_id=issue_mailer.issue.pk)
    finally:
        try:
            recorder.commit(wait=True)
        finally:
            recorder.close()


def finish_if_done(issue_id: int, *, now: dt.datetime | None = None) -> bool:
    """Mark the issue sent once no delivery is pending or being sent."""
    open_ = Delivery.objects.filter(issue_id=issue_id, state__in=[DeliveryState.PENDING, DeliveryState.SENDING])
    if open_.exists():
        return False
    return bool(
        Issue.objects.filter(pk=issue_id, status=IssueStatus.SENDING).update(
            status=IssueStatus.SENT, send_finished_at=now or timezone.now()
        )
    )


def next_retry_at(issue_id: int) -> dt.datetime | None:
    pending = Delivery.objects.filter(issue_id=issue_id, state=DeliveryState.PENDING).order_by("retry_after")
    first = pending.values_list("retry_after", flat=True).first()
    return first if first is not None else (timezone.now() if pending.exists() else None)


@contextlib.contextmanager
def _commit_mode():
    """On PostgreSQL with NEWSLETTER_ASYNC_COMMIT, this worker's commits do not wait for the disk.

    A worker killed at any point loses nothing (the server has every commit); a crash of the database
    server itself may lose the last fraction of a second of outcomes, whose emails would then be sent
    again. Off by default: each outcome waits for its commit, as everything else does.
    """
    if connection.vendor != "postgresql" or not getattr(settings, "NEWSLETTER_ASYNC_COMMIT", False):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def run_send(
    issue_id: int,
    *,
    worker: WorkerHandle,
    should_stop: Callable[[], bool] = lambda: False,
    batch_size: int | None = None,
    rate: float | None = None,
    wait_for_retries: bool = False,
) -> SendStats:
    """Send the issue until nothing is left to claim (or `should_stop`). Safe to run in several processes."""
    with _commit_mode():
        return _run_send(
            issue_id,
            worker=worker,
            should_stop=should_stop,
            batch_size=batch_size,
            rate=rate,
            wait_for_retries=wait_for_retries,
        )


def _run_send(issue_id, *, worker, should_stop, batch_size, rate, wait_for_retries) -> SendStats:
    stats = SendStats()
    started = time.monotonic()
    recover_abandoned(current_id=worker.id)
    issue = start_send(issue_id)
    if issue is None or issue.status != IssueStatus.SENDING:
        return stats
    issue_mailer = IssueMailer(issue)
    pacer = Pacer(settings.NEWSLETTER_SEND_RATE if rate is None else rate)
    size = batch_size or settings.NEWSLETTER_BATCH_SIZE
    while not should_stop():
        worker.heartbeat(issue_id=issue.pk, force=True)
        recover_abandoned(current_id=worker.id)
        claimed = claim_batch(issue, worker_id=worker.id, size=size, now=timezone.now())
        stats.skipped += claimed.skipped
        if not claimed.deliveries:
            if claimed.skipped:
                continue
            retry_at = next_retry_at(issue.pk)
            if wait_for_retries and retry_at is not None:
                time.sleep(min(max((retry_at - timezone.now()).total_seconds(), 0.5), 30))
                continue
            break
        stats.batches += 1
        send_batch(issue_mailer, claimed, worker=worker, stats=stats, pacer=pacer, should_stop=should_stop)
    finish_if_done(issue.pk)
    stats.seconds = time.monotonic() - started
    stats.variants = issue_mailer.renderer.variant_count
    stats.by_state = state_counts(issue.pk)
    return stats


def state_counts(issue_id: int) -> dict[str, int]:
    counts = dict(
        Delivery.objects.filter(issue_id=issue_id)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {state.value: counts.get(state.value, 0) for state in DeliveryState}


def due_issue_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Issues a worker should work on: scheduled and due, or being sent."""
    now = now or timezone.now()
    return list(
        Issue.objects.filter(
            Q(status=IssueStatus.SCHEDULED, scheduled_at__lte=now)
            | Q(status__in=[IssueStatus.STARTING, IssueStatus.SENDING])
        )
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)
    )


def resend_flagged(issue: Issue, *, delivery_ids: list[int], user) -> int:
    """An editor confirmed: send these unknown deliveries again (the reader may get it twice)."""
    with transaction.atomic():
        count = Delivery.objects.filter(issue=issue, pk__in=delivery_ids, state=DeliveryState.UNKNOWN).update(
            state=DeliveryState.PENDING, claimed_by="", retry_after=None, resend_confirmed_by=user
        )
        if count:
            Issue.objects.filter(pk=issue.pk, status=IssueStatus.SENT).update(
                status=IssueStatus.SENDING, send_finished_at=None
            )
    if count:
        from .tasks import queue_send

        transaction.on_commit(lambda: queue_send(issue.pk))
    return count


def send_test(issue: Issue, *, to_user, mode: str) -> mailer.Result:
    """The issue as a free reader or a subscriber would get it, to an editor's own address. Not a delivery."""
    from .rendering import preview_reader

    snapshot = build_snapshot(issue)
    snapshot["issue"]["subject"] = f"[Test] {snapshot['issue']['subject']}"
    renderer = IssueRenderer(snapshot)
    rendered = renderer.rendered(renderer.variant(preview_reader(mode), timezone.now()))
    values = recipient_tokens(reader_id=to_user.pk, issue_id=issue.pk, newsletter_id=issue.newsletter_id)
    envelope = mailer.envelope_for(snapshot)
    message = mailer.django_message(
        envelope=envelope,
        to=to_user.email,
        text=rendered.text.fill(values),
        html=rendered.html.fill(values),
        unsubscribe_url=envelope.unsubscribe_url.replace(SLOT_UNSUBSCRIBE, values[SLOT_UNSUBSCRIBE]),
        message_id_value=email.utils.make_msgid(domain=envelope.domain),
    )
    with mailer.open_session() as session:
        return session.send_message(message)
