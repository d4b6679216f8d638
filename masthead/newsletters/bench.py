"""The newsletter send benchmark: N recipients with mixed choices and access, rendered and handed to SMTP.

`manage.py newsletter_bench --recipients 100000` (or `python -m masthead.newsletters.bench`):

1. creates a fresh database (SQLite file in a temporary folder; PostgreSQL
   with --database-url) and migrates it;
2. seeds it in bulk: demo articles, an issue of the Daily Review drafted from
   the latest of them (half gated), and N readers who chose it — a fifth
   subscribers, some with free articles unlocked or their meter spent — plus
   readers who must not get it (unsubscribed, unconfirmed, suppressed);
3. starts an SMTP sink (aiosmtpd on loopback, in its own process) that counts
   what arrives and notes duplicates;
4. runs one `newsletter_worker` process to send the issue, and reports emails
   per second, the worker's peak memory (RSS) and what the sink received.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "masthead.newsletters.subprocess_settings"


# --- Seeding (runs inside Django) ---------------------------------------------------------------


def create_readers(
    count: int, *, newsletter_slug: str = "daily", prefix: str = "reader", seed: int = 1, extra: float = 0.08
) -> dict:
    """`count` eligible readers of the newsletter plus `extra` x count who must not get it. Bulk inserts."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX as UNUSABLE
    from django.db import transaction
    from django.utils import timezone

    from masthead.access.models import ComplimentaryAccess

    from .enums import ConsentMethod, SuppressionReason
    from .models import Newsletter, NewsletterChoice, NewsletterConsent, Suppression

    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    User = get_user_model()
    newsletter = Newsletter.objects.get(slug=newsletter_slug)
    now = timezone.now()
    n_extra = int(count * extra)
    total = count + n_extra
    start = User.objects.count()
    kinds = {"eligible": count, "unsubscribed": n_extra // 3, "unconfirmed": n_extra // 3}
    kinds["suppressed"] = n_extra - kinds["unsubscribed"] - kinds["unconfirmed"]
    plan = [kind for kind, n in kinds.items() for _ in range(n)]
    chunk = 5000
    subscribers = 0
    with transaction.atomic():
        for offset in range(0, total, chunk):
            batch = plan[offset : offset + chunk]
            users = User.objects.bulk_create(
                [
                    User(email=f"{prefix}{start + offset + i}@bench.example", password=UNUSABLE, is_active=True)
                    for i in range(len(batch))
                ],
                batch_size=1000,
            )
            if users and users[0].pk is None:  # backends that cannot return ids (none of ours)
                users = list(User.objects.filter(email__in=[u.email for u in users]))
            EmailAddress.objects.bulk_create(
                [
                    EmailAddress(user=u, email=u.email, verified=kind != "unconfirmed", primary=True)
                    for u, kind in zip(users, batch, strict=True)
                ],
                batch_size=1000,
            )
            NewsletterConsent.objects.bulk_create(
                [NewsletterConsent(reader=u, confirmed_at=now, method=ConsentMethod.EDITOR) for u in users],
                batch_size=1000,
            )
            NewsletterChoice.objects.bulk_create(
                [
                    NewsletterChoice(reader=u, newsletter=newsletter, active=kind != "unsubscribed", changed_at=now)
                    for u, kind in zip(users, batch, strict=True)
                ],
                batch_size=1000,
            )
            Suppression.objects.bulk_create(
                [
                    Suppression(email=u.email.lower(), reason=SuppressionReason.BOUNCED)
                    for u, kind in zip(users, batch, strict=True)
                    if kind == "suppressed"
                ],
                batch_size=1000,
            )
            grants = [
                ComplimentaryAccess(reader=u, starts_at=now - dt_days(1), ends_at=now + dt_days(30))
                for u, kind in zip(users, batch, strict=True)
                if kind == "eligible" and rng.random() < 0.2
            ]
            subscribers += len(grants)
            ComplimentaryAccess.objects.bulk_create(grants, batch_size=1000)
    return {"eligible": count, "subscribers": subscribers, **{k: v for k, v in kinds.items() if k != "eligible"}}


def dt_days(days: float):
    import datetime as dt

    return dt.timedelta(days=days)


def spend_meters(*, article_ids: list[int], other_ids: list[int], seed: int = 2, share: float = 0.25) -> int:
    """Some free readers unlocked an article of the issue; some spent their month on others."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from masthead.access.enums import UnlockSource
    from masthead.access.models import ComplimentaryAccess, MeterUnlock
    from masthead.access.services import month_of

    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    now = timezone.now()
    month = month_of(now)
    entitled = set(ComplimentaryAccess.objects.values_list("reader_id", flat=True))
    readers = [pk for pk in get_user_model().objects.values_list("pk", flat=True) if pk not in entitled]
    rows = []
    for reader_id in readers:
        roll = rng.random()
        if roll < share and article_ids:
            rows.append(
                MeterUnlock(
                    reader_id=reader_id,
                    article_id=rng.choice(article_ids),
                    source=UnlockSource.METER,
                    month=month,
                    created_at=now,
                )
            )
        elif roll < share * 1.5 and len(other_ids) >= 3:
            for article_id in rng.sample(other_ids, 3):
                rows.append(
                    MeterUnlock(
                        reader_id=reader_id,
                        article_id=article_id,
                        source=UnlockSource.METER,
                        month=month,
                        created_at=now,
                    )
                )
    MeterUnlock.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def prepare_issue(*, newsletter_slug: str = "daily", recent: int = 14) -> int:
    """Make the latest articles recent (half gated), draft today's issue from them and schedule it now."""
    from django.utils import timezone

    from masthead.articles.models import ArticlePage

    from . import sending
    from .digests.drafting import draft_issue
    from .models import Newsletter

    now = timezone.now()
    latest = list(
        ArticlePage.objects.live().order_by("-first_published_at", "-pk").values_list("pk", flat=True)[:recent]
    )
    for n, pk in enumerate(latest):
        ArticlePage.objects.filter(pk=pk).update(
            first_published_at=now - dt_days(0.02 * (n + 1)), free_for_everyone=n % 2 == 1
        )
    newsletter = Newsletter.objects.get(slug=newsletter_slug)
    issue = draft_issue(newsletter, issue_date=timezone.localdate(), now=now, replace=True).issue
    issue.introduction = "<p>Our take: a <b>benchmark</b> issue, drafted from the latest analysis.</p>"
    issue.save()
    sending.schedule(issue, at=now, queue=False)
    return issue.pk


def create_demo_readers(count: int) -> int:
    """Development: `count` confirmed readers who chose every default newsletter; every other one a subscriber."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from masthead.access.models import ComplimentaryAccess

    from .enums import ConsentMethod
    from .models import Newsletter
    from .preferences import save_choices

    User = get_user_model()
    from allauth.account.models import EmailAddress

    created = 0
    for n in range(count):
        email = f"demo-reader-{n + 1}@meridian.example"
        user, made = User.objects.get_or_create(email=email)
        if made:
            user.set_unusable_password()
            user.save()
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            if n % 2:
                now = timezone.now()
                ComplimentaryAccess.objects.create(reader=user, starts_at=now, ends_at=now + dt_days(365), note="Demo")
            created += 1
        defaults = list(Newsletter.objects.filter(is_active=True, default_for_new_readers=True))
        save_choices(user, chosen_ids=[d.pk for d in defaults], available=defaults, method=ConsentMethod.EDITOR)
    return created


def seed(recipients: int, *, articles: int = 40) -> dict:
    from django.core.management import call_command

    from .models import Issue
    from .snapshot import gated_article_ids

    started = time.monotonic()
    call_command("demo_library", articles=str(articles), no_index=True, verbosity=0)
    readers = create_readers(recipients)
    issue_id = prepare_issue()
    issue = Issue.objects.get(pk=issue_id)
    from .snapshot import build_snapshot

    snapshot = build_snapshot(issue)
    gated = gated_article_ids(snapshot)
    from masthead.articles.models import ArticlePage

    others = list(ArticlePage.objects.exclude(pk__in=gated).values_list("pk", flat=True)[:50])
    unlocks = spend_meters(article_ids=gated, other_ids=others)
    return {
        "issue": issue_id,
        **readers,
        "meter_unlocks": unlocks,
        "seed_seconds": round(time.monotonic() - started, 1),
    }


# --- The SMTP sink (its own process) --------------------------------------------------------------


def run_sink(port: int, report: str) -> None:
    """Count what arrives; on SIGTERM write {messages, unique, duplicates, bytes} to `report`."""
    import asyncio

    from aiosmtpd.controller import Controller

    state = {"messages": 0, "bytes": 0, "recipients": set(), "duplicates": 0, "first": None, "last": None}

    class Counter:
        async def handle_DATA(self, server, session, envelope):
            now = time.monotonic()
            state["first"] = state["first"] or now
            state["last"] = now
            state["messages"] += 1
            state["bytes"] += len(envelope.content)
            for rcpt in envelope.rcpt_tos:
                if rcpt in state["recipients"]:
                    state["duplicates"] += 1
                state["recipients"].add(rcpt)
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    done = asyncio.Event()

    def finish(*_):
        controller.stop()
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        span = (state["last"] - state["first"]) if state["first"] else 0.0
        Path(report).write_text(
            json.dumps(
                {
                    "messages": state["messages"],
                    "unique_recipients": len(state["recipients"]),
                    "duplicates": state["duplicates"],
                    "megabytes": round(state["bytes"] / 1e6, 1),
                    "first_to_last_seconds": round(span, 2),
                    "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
                }
            )
        )
        os._exit(0)

    signal.signal(signal.SIGTERM, finish)
    Path(report + ".ready").write_text("ready")
    while not done.is_set():
        time.sleep(3600)


# --- Orchestration ------------------------------------------------------------------------------


def _env(database_url: str, var_dir: Path, port: int) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DATABASE_URL": database_url,
            "MASTHEAD_VAR_DIR": str(var_dir),
            "NEWSLETTER_SMTP_PORT": str(port),
            "LOG_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("MEDIA_ROOT", None)
    return env


def _manage(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True, **kwargs
    )


def _fresh_postgres(url: str) -> tuple[str, Callable[[], None]]:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = f"masthead_news_bench_{os.getpid()}"
    admin = psycopg.conninfo.make_conninfo(
        host=parts.hostname or "127.0.0.1",
        port=str(parts.port or 5432),
        user=parts.username or "",
        password=parts.password or "",
        dbname="postgres",
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def run(
    recipients: int,
    *,
    database_url: str | None = None,
    keep: bool = False,
    batch_size: int = 500,
    async_commit: bool = False,
    commit_every: int | None = None,
    out=print,
) -> dict:
    from masthead.core.testing.smtp import free_port

    from .workers import commit_every_setting

    work = Path(tempfile.mkdtemp(prefix="newsletter-bench-"))
    drop = None
    if database_url:
        database_url, drop = _fresh_postgres(database_url)
    else:
        database_url = f"sqlite:///{work / 'bench.sqlite3'}"
    port = free_port()
    env = _env(database_url, work, port)
    env["NEWSLETTER_ASYNC_COMMIT"] = "true" if async_commit else "false"
    if commit_every:
        env["NEWSLETTER_COMMIT_EVERY"] = str(commit_every)
    report = str(work / "sink.json")
    sink = None
    try:
        out(f"Bench folder {work}; database {database_url.split('@')[-1]}")
        started = time.monotonic()
        _manage(["migrate", "--no-input", "-v0"], env)
        out(f"Migrated in {time.monotonic() - started:.1f}s; seeding {recipients:,} recipients...")
        seeded = json.loads(
            _manage(
                ["newsletter_bench", "--seed-only", "--recipients", str(recipients)],
                env,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        out(f"Seeded: {seeded}")
        sink = subprocess.Popen(  # noqa: S603 - this module, as the SMTP sink
            [sys.executable, "-m", "masthead.newsletters.bench", "sink", "--port", str(port), "--report", report],
            env=env,
            cwd=ROOT,
        )
        for _ in range(200):
            if Path(report + ".ready").exists():
                break
            time.sleep(0.05)
        worker_started = time.monotonic()
        worker = subprocess.Popen(  # noqa: S603 - our own manage.py
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "newsletter_worker",
                "--issue",
                str(seeded["issue"]),
                "--until-idle",
                "--json",
                "--batch-size",
                str(batch_size),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        _, status, usage = os.wait4(worker.pid, 0)
        wall = time.monotonic() - worker_started
        output = worker.stdout.read() if worker.stdout else ""
        worker.returncode = os.waitstatus_to_exitcode(status)
        if worker.returncode != 0:
            raise RuntimeError(f"the worker failed ({worker.returncode}): {output}")
        totals = json.loads(output.strip().splitlines()[-1])
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=30)
        received = json.loads(Path(report).read_text())
        freeze = _manage(
            ["newsletter_bench", "--freeze-seconds", str(seeded["issue"])], env, capture_output=True, text=True
        ).stdout.strip()
        result = {
            "recipients": recipients,
            "database": database_url.split(":", 1)[0],
            "async_commit": async_commit,
            "commit_every": commit_every or int(env.get("NEWSLETTER_COMMIT_EVERY") or commit_every_setting()),
            "sent": totals["sent"],
            "skipped": totals["skipped"],
            "unknown": totals["unknown"],
            "failed": totals["failed"],
            "variants": totals["variants"],
            "worker_wall_seconds": round(wall, 1),
            "send_seconds": totals["send_seconds"],
            "freeze_seconds": float(freeze or 0),
            "emails_per_second": round(totals["sent"] / totals["send_seconds"], 1) if totals["send_seconds"] else 0,
            "emails_per_second_wall": round(totals["sent"] / wall, 1) if wall else 0,
            "worker_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "worker_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "smtp_received": received,
            # The worker and the SMTP server take turns on each email (SMTP waits for every reply), so without
            # other load on the machine an email costs about their two CPU times: this rate is what the code
            # reaches on an otherwise idle machine, whatever else shared the cores during the run.
            "emails_per_cpu_second": round(
                totals["sent"] / ((usage.ru_utime + usage.ru_stime) + received.get("cpu_seconds", 0)), 1
            ),
            "load_average_during_run": round(os.getloadavg()[0], 2),
        }
        out(json.dumps(result, indent=2))
        return result
    finally:
        if sink and sink.poll() is None:
            sink.kill()
        if drop and not keep:
            drop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    sink = sub.add_parser("sink")
    sink.add_argument("--port", type=int, required=True)
    sink.add_argument("--report", required=True)
    bench = sub.add_parser("run")
    bench.add_argument("--recipients", type=int, default=100_000)
    bench.add_argument("--database-url")
    bench.add_argument("--keep", action="store_true")
    bench.add_argument("--async-commit", action="store_true")
    bench.add_argument("--commit-every", type=int)
    args = parser.parse_args(argv)
    if args.command == "sink":
        run_sink(args.port, args.report)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings.test")
    import django

    django.setup()
    run(
        args.recipients,
        database_url=args.database_url,
        keep=args.keep,
        async_commit=args.async_commit,
        commit_every=args.commit_every,
    )


if __name__ == "__main__":
    main()
