"""Sending through a real SMTP server: everyone eligible once, nobody else, and every outcome recorded."""

import datetime as dt
import smtplib
import threading

import pytest
from django.db import connection
from django.utils import timezone

from masthead.access.tests import factories as access_factories
from masthead.articles.tests.factories import make_article
from masthead.core.testing.smtp import html_of, text_of
from masthead.newsletters import mailer, preferences, sending
from masthead.newsletters.enums import DeliveryState, IssueStatus, SkipReason
from masthead.newsletters.models import Delivery, Issue, SendWorker
from masthead.newsletters.workers import WorkerHandle, recover_abandoned

from . import factories

pytestmark = pytest.mark.django_db


def _send(issue, **kwargs):
    sending.schedule(issue, at=timezone.now(), queue=False)
    with WorkerHandle() as worker:
        return sending.run_send(issue.pk, worker=worker, **kwargs)


def _recipients(smtp_server):
    return sorted(rcpt for _, rcpts in smtp_server.envelopes for rcpt in rcpts)


def test_every_eligible_reader_gets_the_issue_exactly_once_and_nobody_else(smtp_server):
    article = make_article()
    eligible = [factories.free_reader() for _ in range(7)] + [factories.subscriber() for _ in range(4)]
    access_factories.reader()  # never chose
    unconfirmed = factories.free_reader(verified=False)
    weekly_only = factories.free_reader("weekly")
    suppressed = factories.free_reader()
    preferences.suppress(suppressed.email, reason="bounced")
    no_consent = access_factories.reader()
    factories.opt_in(no_consent)
    no_consent.newsletter_consent.delete()
    issue = factories.make_issue([article])

    stats = _send(issue, batch_size=4)

    assert _recipients(smtp_server) == sorted(u.email for u in eligible)
    assert stats.sent == 11
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SENT and issue.send_finished_at
    assert set(Delivery.objects.filter(issue=issue).values_list("state", flat=True)) == {DeliveryState.SENT}
    assert unconfirmed.email not in _recipients(smtp_server) and weekly_only.email not in _recipients(smtp_server)


def test_every_email_carries_one_click_unsubscribe_headers_with_https_and_no_address_in_urls(smtp_server):
    reader = factories.free_reader()
    issue = factories.make_issue([make_article()])
    _send(issue)

    (message,) = smtp_server.wait_for(1)
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://news.example/newsletters/unsubscribe/") and unsubscribe.endswith("/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "The Daily Review <daily.newsletters.meridian.example>"
    assert message["Message-ID"].startswith(f"<newsletter.{issue.pk}.")
    html, text = html_of(message), text_of(message)
    local = reader.email.split("@")[0]
    for part in (html, text, unsubscribe):
        assert local not in part.replace(f"To: {reader.email}", "")
    assert "https://news.example/newsletters/p/" in html and "https://news.example/newsletters/p/" in text


def test_html_survives_email_clients_inline_css_tables_dark_mode_absolute_images(smtp_server):
    from masthead.articles.tests.factories import ImageFactory

    factories.free_reader()
    article = make_article(lead_image=ImageFactory(description="Cranes at the harbour"))
    issue = factories.make_issue([article])
    _send(issue)

    html = html_of(smtp_server.wait_for(1)[0])
    assert 'role="presentation"' in html and "<table" in html
    assert 'style="' in html and "font-family:Georgia" in html  # inlined by css-inline
    assert 'name="color-scheme" content="light dark"' in html and "prefers-color-scheme: dark" in html
    assert 'alt="Cranes at the harbour"' in html
    assert 'src="https://news.example/media/' in html
    assert all(len(line.encode()) <= 998 for line in html.splitlines())


def test_marker_after_the_teaser_is_in_nobodys_copy(smtp_server):
    marker = access_factories.marker()
    gated = access_factories.gated_article(marker)
    free = factories.free_reader()
    subscriber = factories.subscriber()
    unlocked = factories.free_reader()
    from masthead.access.enums import UnlockSource
    from masthead.access.models import MeterUnlock
    from masthead.access.services import month_of

    now = timezone.now()
    MeterUnlock.objects.create(
        reader=unlocked, article=gated, source=UnlockSource.METER, month=month_of(now), created_at=now
    )
    from masthead.newsletters.digests.drafting import summary_for

    summary = summary_for(gated, sentences=2, default_paragraphs=3, now=now)
    issue = factories.make_issue(sections={"top_stories": [factories.item(gated, summary)]})
    _send(issue)

    messages = {m["To"]: m for m in smtp_server.wait_for(3)}
    for message in messages.values():
        assert marker not in message.as_string()
        assert marker not in html_of(message) and marker not in text_of(message)
    assert "Teaser paragraph" in html_of(messages[free.email])  # the drafted summary comes from the teaser
    assert "For subscribers" in html_of(messages[free.email])
    assert "Use one of your free articles" in html_of(messages[free.email])
    assert "Read the analysis" in html_of(messages[subscriber.email])
    assert "Read the analysis" in html_of(messages[unlocked.email])  # decided per reader: unlocked is full


def test_subscribers_see_no_house_ad_free_readers_do(smtp_server):
    free = factories.free_reader()
    subscriber = factories.subscriber()
    staff = access_factories.staff()
    factories.opt_in(staff)
    _send(factories.make_issue([make_article(), make_article()]))

    messages = {m["To"]: html_of(m) for m in smtp_server.wait_for(3)}
    assert 'data-slot="house-ad"' in messages[free.email]
    assert 'data-slot="house-ad"' not in messages[subscriber.email]
    assert 'data-slot="house-ad"' not in messages[staff.email]


def test_unsubscribing_mid_send_takes_effect_before_the_next_batch(smtp_server, monkeypatch):
    readers = [factories.free_reader() for _ in range(6)]
    issue = factories.make_issue([make_article()])
    last = readers[-1]
    original = sending.send_batch
    calls = []

    def first_batch_then_unsubscribe(*args, **kwargs):
        original(*args, **kwargs)
        if not calls:
            preferences.unsubscribe(reader_id=last.pk, newsletter_id=issue.newsletter_id)
            preferences.suppress(readers[-2].email, reason="complained")
        calls.append(1)

    monkeypatch.setattr(sending, "send_batch", first_batch_then_unsubscribe)
    _send(issue, batch_size=2)

    assert _recipients(smtp_server) == sorted(u.email for u in readers[:-2])
    skipped = dict(
        Delivery.objects.filter(issue=issue, state=DeliveryState.SKIPPED).values_list("reader_id", "skip_reason")
    )
    assert skipped == {last.pk: SkipReason.UNSUBSCRIBED, readers[-2].pk: SkipReason.SUPPRESSED}


def test_audiences_subscribers_only_and_free_only(smtp_server):
    free = factories.free_reader("briefing", "weekly")
    subscriber = factories.subscriber("briefing", "weekly")
    weekly = factories.newsletter("weekly")
    weekly.audience = "subscribers"
    weekly.save()
    _send(factories.make_issue([make_article()], slug="briefing"))
    assert _recipients(smtp_server) == [free.email]
    _send(factories.make_issue([make_article()], slug="weekly"))
    assert _recipients(smtp_server) == sorted([free.email, subscriber.email])


def test_recipient_list_is_frozen_when_sending_starts(smtp_server):
    factories.free_reader()
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)
    sending.start_send(issue.pk)
    late = factories.free_reader()  # chose after the freeze
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)
    assert late.email not in _recipients(smtp_server)
    assert Delivery.objects.filter(issue=issue).count() == 1


def test_edits_after_sending_started_change_nothing_for_the_rest(smtp_server):
    for _ in range(3):
        factories.free_reader()
    article = make_article(title="The original headline")
    issue = factories.make_issue([article], subject="Original subject")
    sending.schedule(issue, at=timezone.now(), queue=False)
    sending.start_send(issue.pk)
    Issue.objects.filter(pk=issue.pk).update(subject="Changed subject")
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)
    assert {m["Subject"] for m in smtp_server.wait_for(3)} == {"Original subject"}


def test_not_due_scheduled_issue_is_not_sent(smtp_server):
    factories.free_reader()
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now() + dt.timedelta(hours=1), queue=False)
    with WorkerHandle() as worker:
        stats = sending.run_send(issue.pk, worker=worker)
    assert stats.sent == 0 and smtp_server.messages == []
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.SCHEDULED


def test_connection_dropped_after_the_message_was_written_is_flagged_not_resent(settings):
    """The server accepts the DATA and the connection drops before its reply reaches us: unknown, flagged."""
    from aiosmtpd.controller import Controller

    from masthead.core.testing.smtp import free_port

    received = []

    class DropAfterData:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.rcpt_tos[0])
            if len(received) == 2:
                server.transport.close()  # accepted, then gone before the reply
            return "250 OK"

    port = free_port()
    controller = Controller(DropAfterData(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        }
        readers = [factories.free_reader() for _ in range(4)]
        issue = factories.make_issue([make_article()])
        stats = _send(issue)
    finally:
        controller.stop()
    states = dict(Delivery.objects.filter(issue=issue).values_list("reader_id", "state"))
    assert stats.unknown == 1
    assert states[readers[1].pk] == DeliveryState.UNKNOWN
    assert [states[r.pk] for r in (readers[0], readers[2], readers[3])] == [DeliveryState.SENT] * 3
    assert sorted(received) == sorted(r.email for r in readers)  # each handed over once; none re-sent


def test_temporary_refusal_is_retried_permanent_refusal_fails(settings):
    from aiosmtpd.controller import Controller

    from masthead.core.testing.smtp import free_port

    class Picky:
        def __init__(self):
            self.seen = {}

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            self.seen[address] = self.seen.get(address, 0) + 1
            if address.startswith("busy") and self.seen[address] == 1:
                return "451 Try again later"
            if address.startswith("gone"):
                return "550 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    controller = Controller(Picky(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port},
            }
        }
        busy = factories.free_reader(email="busy@example.org")
        gone = factories.free_reader(email="gone@example.org")
        fine = factories.free_reader(email="fine@example.org")
        issue = factories.make_issue([make_article()])
        _send(issue)
        assert Delivery.objects.get(reader=busy).state == DeliveryState.PENDING
        Delivery.objects.filter(reader=busy).update(retry_after=timezone.now())
        with WorkerHandle() as worker:
            sending.run_send(issue.pk, worker=worker)
    finally:
        controller.stop()
    assert Delivery.objects.get(reader=busy).state == DeliveryState.SENT
    assert Delivery.objects.get(reader=busy).attempts == 2
    assert Delivery.objects.get(reader=gone).state == DeliveryState.FAILED
    assert "550" in Delivery.objects.get(reader=gone).error
    assert Delivery.objects.get(reader=fine).state == DeliveryState.SENT


def test_dead_workers_claims_one_flagged_rest_released_and_finished(smtp_server):
    readers = [factories.free_reader() for _ in range(5)]
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)
    sending.start_send(issue.pk)
    SendWorker.objects.create(
        id="dead", hostname="elsewhere", pid=1, heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    claimed = sending.claim_batch(issue, worker_id="dead", size=3, now=timezone.now())
    assert len(claimed.deliveries) == 3

    assert recover_abandoned() == 1
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)

    flagged = Delivery.objects.get(issue=issue, state=DeliveryState.UNKNOWN)
    assert flagged.pk == claimed.deliveries[0].pk  # the only one that can have been in flight
    assert sorted(_recipients(smtp_server)) == sorted(r.email for r in readers if r.pk != flagged.reader_id)
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.SENT


def test_a_dead_workers_whole_commit_window_is_flagged_and_the_rest_released(smtp_server):
    readers = [factories.free_reader() for _ in range(6)]
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)
    sending.start_send(issue.pk)
    SendWorker.objects.create(
        id="dead", hostname="elsewhere", pid=1, heartbeat_at=timezone.now() - dt.timedelta(hours=1), commit_every=3
    )
    claimed = sending.claim_batch(issue, worker_id="dead", size=5, now=timezone.now())

    assert recover_abandoned() == 3  # its first group may all have been handed over, unrecorded
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)

    flagged = set(Delivery.objects.filter(issue=issue, state=DeliveryState.UNKNOWN).values_list("pk", flat=True))
    assert flagged == {d.pk for d in claimed.deliveries[:3]}
    flagged_readers = {d.reader_id for d in claimed.deliveries[:3]}
    assert _recipients(smtp_server) == sorted(r.email for r in readers if r.pk not in flagged_readers)


def test_outcomes_are_committed_per_group_before_the_next_group_starts(smtp_server, monkeypatch):
    for _ in range(5):
        factories.free_reader()
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)
    received_at_commit, sizes = [], []
    record = sending._record

    def watched(group, *, worker_id):
        sizes.append(len(group))
        received_at_commit.append(len(smtp_server.envelopes))
        return record(group, worker_id=worker_id)

    monkeypatch.setattr(sending, "_record", watched)
    with WorkerHandle(commit_every=2) as worker:
        assert SendWorker.objects.get(pk=worker.id).commit_every == 2
        stats = sending.run_send(issue.pk, worker=worker)

    assert sizes == [2, 2, 1]
    assert received_at_commit == [2, 4, 5]  # nothing of a group is sent before the previous one is committed
    assert stats.sent == 5
    assert set(Delivery.objects.filter(issue=issue).values_list("state", flat=True)) == {DeliveryState.SENT}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_committed_sends_never_leave_more_than_the_window_unrecorded(smtp_server, monkeypatch):
    """Outside a test transaction PostgreSQL commits each group in the background while the next is sent
    (groups of half the window); SQLite commits whole windows in place. Either way, whenever outcomes are
    committed, at most the window's emails have reached the server beyond those already recorded."""
    readers = [factories.free_reader() for _ in range(11)]
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)
    ahead_of_records, recorded, threads = [], [0], set()
    record = sending._record

    def watched(group, *, worker_id):
        threads.add(threading.current_thread().name.startswith("newsletter-outcomes"))
        ahead_of_records.append(len(smtp_server.envelopes) - recorded[0])
        ok = record(group, worker_id=worker_id)
        recorded[0] += len(group)
        return ok

    monkeypatch.setattr(sending, "_record", watched)
    with WorkerHandle(commit_every=4) as worker:
        stats = sending.run_send(issue.pk, worker=worker)

    assert stats.sent == 11 and recorded[0] == 11
    assert max(ahead_of_records) <= 4
    assert (True in threads) == (connection.vendor == "postgresql")
    assert _recipients(smtp_server) == sorted(r.email for r in readers)
    assert set(Delivery.objects.filter(issue=issue).values_list("state", flat=True)) == {DeliveryState.SENT}


def test_outcomes_that_cannot_be_recorded_are_flagged_by_the_workers_close_not_sent_again(smtp_server, monkeypatch):
    readers = [factories.free_reader() for _ in range(5)]
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)

    def broken(group, *, worker_id):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sending, "_record", broken)
    with pytest.raises(RuntimeError), WorkerHandle(commit_every=2) as worker:
        sending.run_send(issue.pk, worker=worker)
    assert len(smtp_server.envelopes) == 2
    flagged = list(Delivery.objects.filter(issue=issue, state=DeliveryState.UNKNOWN).values_list("email", flat=True))
    assert sorted(flagged) == sorted(rcpts[0] for _, rcpts in smtp_server.envelopes)

    monkeypatch.undo()
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)
    assert _recipients(smtp_server) == sorted(r.email for r in readers)  # each once, the flagged ones included
    assert not SendWorker.objects.exists()


def test_an_error_mid_group_records_what_was_sent_and_releases_the_rest(smtp_server, monkeypatch):
    readers = [factories.free_reader() for _ in range(5)]
    issue = factories.make_issue([make_article()])
    sending.schedule(issue, at=timezone.now(), queue=False)
    prepare = sending.IssueMailer.prepare
    broken_reader = readers[3]

    def fails_for_one_reader(self, session, delivery, reader, now):
        if delivery.reader_id == broken_reader.pk:
            raise ValueError("a template broke")
        return prepare(self, session, delivery, reader, now)

    monkeypatch.setattr(sending.IssueMailer, "prepare", fails_for_one_reader)
    with pytest.raises(ValueError), WorkerHandle(commit_every=10) as worker:
        sending.run_send(issue.pk, worker=worker)
    # Its copy was first prepared while the previous email was in flight: that email's outcome is kept.
    assert _recipients(smtp_server) == sorted(r.email for r in readers[:3])
    states = dict(Delivery.objects.filter(issue=issue).values_list("reader_id", "state"))
    assert [states[r.pk] for r in readers] == [DeliveryState.SENT] * 3 + [DeliveryState.PENDING] * 2

    monkeypatch.undo()
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)
    assert _recipients(smtp_server) == sorted(r.email for r in readers)


def test_editor_confirmed_resend_of_flagged_delivery(smtp_server, admin_user):
    reader = factories.free_reader()
    issue = factories.make_issue([make_article()])
    _send(issue)
    delivery = Delivery.objects.get(issue=issue)
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.UNKNOWN)
    Issue.objects.filter(pk=issue.pk).update(status=IssueStatus.SENT)

    assert sending.resend_flagged(issue, delivery_ids=[delivery.pk], user=admin_user) == 1
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)

    assert _recipients(smtp_server) == [reader.email, reader.email]
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]  # recognisably the same message
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.resend_confirmed_by == admin_user


def test_throttle_limits_emails_per_second(smtp_server):
    import time

    for _ in range(5):
        factories.free_reader()
    issue = factories.make_issue([make_article()])
    started = time.monotonic()
    _send(issue, rate=20)
    assert time.monotonic() - started >= 4 / 20
    assert len(smtp_server.messages) == 5


def test_other_mail_backends_get_the_same_copy(mailoutbox):
    """The development outbox and ESP backends go through Django's EmailMessage: same headers, same content."""
    marker = access_factories.marker()
    reader = factories.free_reader()
    issue = factories.make_issue(
        sections={"top_stories": [factories.item(access_factories.gated_article(marker), "Summary.")]}
    )
    _send(issue)
    (message,) = mailoutbox
    assert message.to == [reader.email]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<https://news.example/newsletters/unsubscribe/")
    html = message.alternatives[0].content
    assert marker not in html and marker not in message.body
    assert "For subscribers" in html
    raw = message.message().as_bytes()
    assert b"List-Unsubscribe: <https://news.example/newsletters/unsubscribe/" in raw


def test_fast_path_message_is_well_formed(smtp_server):
    reader = factories.free_reader(email="reader.with.dots@example.org")
    issue = factories.make_issue(
        [make_article(title="Égalité: ünïcode — headlines")], subject="Élections: what “now” means"
    )
    _send(issue)
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == "Élections: what “now” means"
    assert message["To"] == reader.email
    assert "Égalité: ünïcode — headlines" in html_of(message)
    assert "Égalité: ünïcode — headlines" in text_of(message)
    assert message.get_content_type() == "multipart/alternative"


def test_smtp_session_reports_unknown_only_after_the_whole_message(monkeypatch):
    class Broken:
        def __init__(self, fail_at):
            self.fail_at = fail_at

        def ehlo_or_helo_if_needed(self):
            pass

        def has_extn(self, name):
            return True

        def mail(self, *a):
            return (250, b"ok")

        def rcpt(self, *a):
            return (250, b"ok")

        def docmd(self, *a):
            return (354, b"go")

        def send(self, data):
            if self.fail_at == "send":
                raise smtplib.SMTPServerDisconnected("gone while writing")

        def getreply(self):
            raise smtplib.SMTPServerDisconnected("gone before the reply")

        def close(self):
            pass

    class Backend:
        def __init__(self, smtp):
            self.smtp = smtp
            self.connection = None

        def open(self):
            self.connection = self.smtp

    session = mailer.SMTPSession(Backend(Broken("send")))
    assert session.send_bytes(envelope_from="a@b", to="c@d", data=b"x\r\n").outcome == mailer.Outcome.RETRY
    session = mailer.SMTPSession(Backend(Broken("reply")))
    assert session.send_bytes(envelope_from="a@b", to="c@d", data=b"x\r\n").outcome == mailer.Outcome.UNKNOWN


def test_async_commit_mode_is_scoped_to_the_send(settings, smtp_server):
    from django.db import connection

    settings.NEWSLETTER_ASYNC_COMMIT = True
    factories.free_reader()
    _send(factories.make_issue([make_article()]))
    assert len(smtp_server.messages) == 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
