"""manage.py search_reindex: rebuild the search index in batches, with a progress bar; --resume after a stop."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from masthead.search.reindex import reindex

MAX_BATCH_SIZE = 10_000


class ProgressBar:
    """`Model [#####.....] 12,000/100,000 1,234/s ETA 1m10s`: redrawn on a terminal, every 10% otherwise."""

    WIDTH = 30

    def __init__(self, stream, *, enabled: bool = True):
        self.stream = stream
        self.enabled = enabled
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.label = ""
        self.started = 0.0
        self.first_done = 0
        self.last_tenth = -1

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if label != self.label:
            self.label, self.started, self.first_done, self.last_tenth = label, now, done, -1
        elapsed = max(now - self.started, 1e-6)
        rate = (done - self.first_done) / elapsed
        eta = f"{int((total - done) / rate)}s" if rate > 0 else "?"
        filled = self.WIDTH * done // total if total else self.WIDTH
        line = f"{label:<28} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,} {rate:,.0f}/s ETA {eta}"
        if self.tty:
            self.stream.write(f"\r{line}  " + ("\n" if done >= total else ""), ending="")
        else:
            tenth = 10 * done // total if total else 10
            if tenth != self.last_tenth:
                self.last_tenth = tenth
                self.stream.write(line)
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Rebuild the search index through Wagtail's backend, BATCH at a time in primary-key order, with a progress "
        "bar. Each batch is committed with the last primary key written; --resume continues from there after an "
        "interruption. Entries of deleted objects are removed at the end of a full run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Objects per batch (1 to 10,000). Default 500.")
        parser.add_argument(
            "--resume", action="store_true", help="Continue an interrupted run from the last primary key it indexed."
        )
        parser.add_argument(
            "--model",
            action="append",
            default=[],
            metavar="APP.MODEL",
            help="Only this model (repeatable), e.g. articles.ArticlePage. Default: every indexed model.",
        )
        parser.add_argument("--backend", default="default", help="The WAGTAILSEARCH_BACKENDS entry. Default 'default'.")

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE:,}, not {batch_size}.")
        progress = ProgressBar(self.stderr, enabled=options["verbosity"] > 0)
        progress.tty = progress.tty and sys.stderr.isatty()
        try:
            report = reindex(
                backend_name=options["backend"],
                batch_size=batch_size,
                resume=options["resume"],
                models=options["model"],
                progress=progress,
            )
        except LookupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Indexed {report.indexed:,} objects of {report.models} models in {report.seconds:.1f}s.")
