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
   recording each outcome before the next email starts (see `workers` for why
   that bounds what a killed worker leaves unknown to one delivery).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
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
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due, issue_id=issue.pk, state=DeliveryState.PENDING)
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return Claimed([], {}, {})
        deliveries = list(
            Delivery.objects.filter(pk__in=ids).only("id", "issue_id", "reader_id", "email", "attempts").order_by("id")
        )
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
        reply is read): the next copy is prepared there, and nothing of the next email is sent before this
        one's outcome is recorded."""
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


def _record(delivery: Delivery, result: mailer.Result, *, worker_id: str, now: dt.datetime) -> bool:
    """Write one outcome, guarded by our claim. False if the claim was taken from us (we were thought dead).

    One short UPDATE, committed before the next email starts: that ordering is what lets a dead worker's
    in-flight email be identified (see `workers`). Plain SQL: it runs once per email.
    """
    attempts = delivery.attempts + 1
    outcome = result.outcome
    changes: dict[str, object]
    if outcome == Outcome.SENT:
        changes = {"state": DeliveryState.SENT.value, "sent_at": now, "error": ""}
    elif outcome == Outcome.FAILED:
        changes = {"state": DeliveryState.FAILED.value, "error": result.detail}
    elif outcome == Outcome.UNKNOWN:
        changes = {"state": DeliveryState.UNKNOWN.value, "error": result.detail}
    elif attempts >= MAX_ATTEMPTS:
        changes = {"state": DeliveryState.FAILED.value, "error": f"Gave up after {attempts} attempts: {result.detail}"}
    else:
        delay = RETRY_BACKOFF_SECONDS[min(attempts, len(RETRY_BACKOFF_SECONDS)) - 1]
        changes = {
            "state": DeliveryState.PENDING.value,
            "claimed_by": "",
            "retry_after": now + dt.timedelta(seconds=delay),
            "error": result.detail[:300],
        }
    changes["attempts"] = attempts
    ops = connection.ops
    values: list
    columns = ", ".join(f"{ops.quote_name(name)} = %s" for name in changes)
    values = [
        ops.adapt_datetimefield_value(value) if isinstance(value, dt.datetime) else value for value in changes.values()
    ]
    table = ops.quote_name(Delivery._meta.db_table)
    sql = f"UPDATE {table} SET {columns} WHERE id = %s AND claimed_by = %s AND state = %s"  # noqa: S608 - names are ours
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, delivery.pk, worker_id, DeliveryState.SENDING.value])
        return cursor.rowcount == 1


def release(deliveries: list[Delivery], *, worker_id: str) -> None:
    """Give back claimed deliveries never begun (a clean stop, or the connection is down)."""
    if deliveries:
        Delivery.objects.filter(
            pk__in=[d.pk for d in deliveries], claimed_by=worker_id, state=DeliveryState.SENDING
        ).update(state=DeliveryState.PENDING, claimed_by="", claimed_at=None)


def send_batch(
    issue_mailer: IssueMailer,
    claimed: Claimed,
    *,
    worker: WorkerHandle,
    stats: SendStats,
    pacer: Pacer,
    should_stop: Callable[[], bool],
) -> None:
    deliveries = claimed.deliveries
    if not deliveries:
        return
    with mailer.open_session() as session:

        def prepare(position: int) -> Outgoing:
            delivery = deliveries[position]
            return issue_mailer.prepare(session, delivery, claimed.readers[delivery.reader_id], timezone.now())

        ahead: dict[int, Outgoing] = {}

        def prepare_next(position: int) -> None:
            if position < len(deliveries):
                ahead[position] = prepare(position)

        for position, delivery in enumerate(deliveries):
            if should_stop():
                release(deliveries[position:], worker_id=worker.id)
                return
            pacer.wait()
            outgoing = ahead.pop(position, None) or prepare(position)
            result = issue_mailer.hand_over(session, outgoing, then=lambda p=position: prepare_next(p + 1))
            if not _record(delivery, result, worker_id=worker.id, now=timezone.now()):
                logger.error("Delivery %s was taken from worker %s mid-batch; stopping", delivery.pk, worker.id)
                release(deliveries[position + 1 :], worker_id=worker.id)
                return
            outcome = result.outcome
            if outcome == Outcome.SENT:
                stats.sent += 1
            elif outcome == Outcome.FAILED:
                stats.failed += 1
            elif outcome == Outcome.UNKNOWN:
                stats.unknown += 1
            else:
                stats.retried += 1
                if "connect" in result.detail.lower() or "connection" in result.detail.lower():
                    # The server is unreachable: give the rest back for later rather than failing them one by one.
                    release(deliveries[position + 1 :], worker_id=worker.id)
                    return
            worker.heartbeat(issue_id=issue_mailer.issue.pk)


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
