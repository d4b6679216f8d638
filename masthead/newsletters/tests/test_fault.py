"""Kill the sending worker (SIGKILL) at random points of a 2,000-recipient send, restart it, diff what arrived.

The send is queued as a task. Workers run in subprocesses, alternately
`manage.py db_worker` (running the `send_issue` task; a restarted one
finishes the send through the task's watchdog run) and `manage.py
newsletter_worker` (the dedicated send worker), against a
database the test sets up: on SQLite a file copy of the test database, on
PostgreSQL the test database itself (this test commits). A real SMTP server
(aiosmtpd, in this process) receives every email. Expected: every eligible
reader got the issue once — none missing, none twice — except deliveries
flagged *unknown*, which count as neither, number at most one commit window
(COMMIT_EVERY emails, whose outcomes a worker commits together) per kill, and
are what the editor sees on the issue's send page.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend

from masthead.articles.tests.factories import make_article
from masthead.core.testing.smtp import free_port
from masthead.newsletters import bench, sending, tasks
from masthead.newsletters.audience import eligible_readers

from . import factories

# serialized_rollback: like every transactional test here, put back what migrations load
# (see tests/browser/conftest.py).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
RECIPIENTS = 2000
KILLS = 4
COMMIT_EVERY = 10  # a batch of 40 is sent as four groups: kills land inside groups and between them
ROOT = Path(__file__).resolve().parents[3]


class EnvelopeServer:
    """A real SMTP server (aiosmtpd) that keeps only who each email went to: parsing 2,000 messages
    in this process would make the test measure the test."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.recipients: list[str] = []
        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                server.recipients.extend(envelope.rcpt_tos)
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


class Database:
    """The send's database as the subprocess sees it, and a way to read it from here."""

    def __init__(self, tmp_path: Path) -> None:
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            connection.ensure_connection()
            self.path = tmp_path / "send.sqlite3"
            target = sqlite3.connect(self.path)
            connection.connection.backup(target)
            target.close()
            self.url = f"sqlite:///{self.path}"
        else:
            s = connection.settings_dict
            auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
            self.url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

    def rows(self, sql: str, params=()) -> list[tuple]:
        if self.vendor == "sqlite":
            with sqlite3.connect(self.path, timeout=10) as db:
                return db.execute(sql, params).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall()

    def copy_back(self) -> None:
        """Let this process (and its admin views) see what the workers wrote."""
        if self.vendor == "sqlite":
            source = sqlite3.connect(self.path)
            source.backup(connection.connection)
            source.close()


def _start(kind: str, env: dict, issue_id: int) -> subprocess.Popen:
    if kind == "db_worker":  # the task queue's worker, running the `send_issue` task
        args = ["db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload"]
    else:  # the dedicated send worker
        args = ["newsletter_worker", "--issue", str(issue_id), "--until-idle", "--json", "--interval", "0.2"]
        args += ["--batch-size", "40"]
    return subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_worker_restarted_sends_everyone_exactly_once(tmp_path, admin_client):
    seed = int(os.environ.get("NEWSLETTER_FAULT_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    articles = [make_article(), make_article(free_for_everyone=True), make_article()]
    bench.create_readers(RECIPIENTS, extra=0.05, prefix="fault")
    issue = factories.make_issue(articles)
    sending.schedule(issue, at=timezone.now(), queue=False)
    eligible = sorted(email for _, email in eligible_readers(issue.newsletter))
    assert len(eligible) == RECIPIENTS
    # Queue the send as the admin's "Send now" does, in the database task queue db_worker reads. (This
    # process runs the test settings' immediate backend, so the row is written through the database
    # backend directly.)
    DatabaseBackend(alias="default", params={})._task_to_db_task(tasks.send_issue, (issue.pk,), {})

    db = Database(tmp_path)
    sent_sql = "SELECT count(*) FROM newsletters_delivery WHERE issue_id = ? AND state = 'sent'"
    worker_sql = "SELECT count(*) FROM newsletters_sendworker WHERE pid = ?"
    status_sql = "SELECT status FROM newsletters_issue WHERE id = ?"
    kills, log = 0, []
    with EnvelopeServer() as smtp:
        env = bench._env(db.url, tmp_path, smtp.port)
        env["NEWSLETTER_WORKER_STALE_SECONDS"] = "600"  # recovery must come from the dead pid, not a timeout
        env["NEWSLETTER_WATCHDOG_SECONDS"] = "1"  # how soon a restarted db_worker re-runs the send
        env["NEWSLETTER_BATCH_SIZE"] = "40"
        env["NEWSLETTER_COMMIT_EVERY"] = str(COMMIT_EVERY)
        while db.rows(status_sql, (issue.pk,))[0][0] != "sent":
            if kills == KILLS:  # the last run, to the end
                worker = _start("newsletter_worker", env, issue.pk)
                started = time.monotonic()
                output, errors = worker.communicate(timeout=180)
                assert worker.returncode == 0, errors[-3000:]
                log.append(("last run", round(time.monotonic() - started, 1), output.strip()[-200:]))
                break
            # Kills alternate between db_worker (running the send task) and the send worker; every other
            # one at a random moment once the worker is up (freezing, claiming, sending or recording), the
            # others a random number of emails after the worker started sending.
            kind = "db_worker" if kills % 2 == 0 else "newsletter_worker"
            point = ("after", rng.uniform(0.0, 1.0)) if kills % 4 in (0, 3) else ("emails", rng.randint(1, 400))
            worker = _start(kind, env, issue.pk)
            started, baseline = time.monotonic(), db.rows(sent_sql, (issue.pk,))[0][0]
            registered_at = None
            while worker.poll() is None:
                if registered_at is None and db.rows(worker_sql, (worker.pid,))[0][0]:
                    registered_at = time.monotonic()
                if point[0] == "after" and registered_at and time.monotonic() - registered_at >= point[1]:
                    break
                if point[0] == "emails" and db.rows(sent_sql, (issue.pk,))[0][0] - baseline >= point[1]:
                    break
                if db.rows(status_sql, (issue.pk,))[0][0] == "sent" or time.monotonic() - started > 90:
                    break
                time.sleep(0.01)
            if worker.poll() is None and db.rows(status_sql, (issue.pk,))[0][0] != "sent":
                os.kill(worker.pid, signal.SIGKILL)
                kills += 1
                log.append((kind, "killed", point, db.rows(sent_sql, (issue.pk,))[0][0]))
            else:  # it finished the send before its kill point
                worker.terminate()
                log.append((kind, "finished before", point))
            worker.communicate()
        time.sleep(0.2)
        received = Counter(smtp.recipients)

    states = dict(db.rows("SELECT d.email, d.state FROM newsletters_delivery d WHERE d.issue_id = ?", (issue.pk,)))
    flagged = sorted(email for email, state in states.items() if state == "unknown")
    missing = [email for email in eligible if email not in received and email not in flagged]
    duplicates = {email: n for email, n in received.items() if n > 1}
    unexpected = set(received) - set(eligible)
    report = (
        f"seed {seed}: {kills} kills, {len(received)} received, {len(missing)} missing, "
        f"{len(duplicates)} duplicates, {len(flagged)} flagged; {log}"
    )
    print(report)
    assert kills >= 3, report
    assert not missing, report
    assert not duplicates, report
    assert not unexpected, report
    assert len(flagged) <= kills * COMMIT_EVERY, report
    assert {states[e] for e in eligible if e not in flagged} == {"sent"}, report
    assert db.rows(status_sql, (issue.pk,))[0][0] == "sent"
    assert db.rows("SELECT count(*) FROM newsletters_sendworker")[0][0] == 0

    db.copy_back()
    page = admin_client.get(reverse("wagtailsnippets_newsletters_issue:send", args=[issue.pk])).content.decode()
    if flagged:
        assert f"Flagged: outcome unknown ({len(flagged)})" in page
        assert all(email in page for email in flagged)
    assert f"Progress: {RECIPIENTS} of {RECIPIENTS} (100%)" in page
