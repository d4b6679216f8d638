"""Benchmark sending: `manage.py newsletter_bench --recipients 100000` (see masthead/newsletters/bench.py)."""

import json

from django.core.management.base import BaseCommand

from masthead.newsletters import bench


class Command(BaseCommand):
    help = "Send an issue to N seeded recipients through a local SMTP server; report emails/s and peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--recipients", type=int, default=100_000)
        parser.add_argument("--database-url", help="A PostgreSQL server to create the bench database on.")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--keep", action="store_true", help="Keep the bench folder and database.")
        parser.add_argument(
            "--async-commit", action="store_true", help="PostgreSQL: NEWSLETTER_ASYNC_COMMIT for the worker."
        )
        parser.add_argument(
            "--commit-every",
            type=int,
            help="Emails whose outcomes the worker commits together (NEWSLETTER_COMMIT_EVERY).",
        )
        parser.add_argument("--seed-only", action="store_true", help="(internal) Seed the current database.")
        parser.add_argument("--freeze-seconds", type=int, help="(internal) How long freezing this issue took.")

    def handle(self, *args, recipients, database_url=None, batch_size=500, keep=False, seed_only=False, **options):
        if seed_only:
            self.stdout.write(json.dumps(bench.seed(recipients)))
            return
        if options.get("freeze_seconds"):
            from masthead.newsletters.models import Delivery, Issue

            issue = Issue.objects.get(pk=options["freeze_seconds"])
            first = Delivery.objects.filter(issue=issue).exclude(claimed_at=None).order_by("claimed_at").first()
            seconds = (first.claimed_at - issue.send_started_at).total_seconds() if first else 0
            self.stdout.write(f"{seconds:.2f}")
            return
        bench.run(
            recipients,
            database_url=database_url,
            keep=keep,
            batch_size=batch_size,
            async_commit=options.get("async_commit", False),
            commit_every=options.get("commit_every"),
            out=self.stdout.write,
        )
