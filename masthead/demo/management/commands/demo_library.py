"""manage.py demo_library: fill the site with an invented world-affairs magazine."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from masthead.articles.models import ArticlePage
from masthead.core import content_version
from masthead.demo.library import DEFAULT_BATCH_SIZE, MAX_ARTICLES, MAX_BATCH_SIZE, LibraryBuilder

KIND_LABELS = {"daily": "daily", "in_depth": "in-depth", "briefing": "briefings", "opinion": "opinion"}


def whole_number(option: str, raw: object, *, minimum: int, maximum: int) -> int:
    """The option's value as an int within bounds, or a one-line CommandError."""
    text = str(raw).strip().replace("_", "").replace(",", "")
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"{option} must be a whole number, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise CommandError(f"{option} must be between {minimum:,} and {maximum:,}, not {value:,}.")
    return value


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class ProgressBar:
    """`[#####.....] 12,000/100,000 1,234/s ETA 1m10s` on stderr: redrawn on a terminal, every 10% otherwise."""

    WIDTH = 30

    def __init__(self, stream, *, enabled: bool = True):
        self.stream = stream  # a command's OutputWrapper
        self.enabled = enabled
        self.tty = bool(stream.isatty())
        self.started: dict[str, float] = {}
        self.last_tenth = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        started = self.started.setdefault(phase, now)
        if phase != "articles":
            if done == 0:
                self._write("Indexing authors, topics, countries and images...\n")
            return
        if total == 0:
            return
        elapsed = max(now - started, 1e-6)
        rate = done / elapsed
        eta = (total - done) / rate if rate else 0
        filled = self.WIDTH * done // total
        line = (
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,} "
            f"{rate:,.0f}/s ETA {_duration(eta) if done else '?'}"
        )
        if self.tty:
            self._write(f"\r{line}  " + ("\n" if done == total else ""))
            return
        tenth = 10 * done // total
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            self._write(line + "\n")

    def _write(self, text: str) -> None:
        self.stream.write(text, style_func=_plain, ending="")
        self.stream.flush()


def _plain(text: str) -> str:
    return text


class Command(BaseCommand):
    help = (
        "Generate 'The Meridian Review', an invented world-affairs magazine: home page sections, the Analysis "
        "index, topics, authors with portraits, pictures drawn locally and N articles written by a small grammar. "
        "Output is deterministic for a seed on an empty library. Running it again adds more articles (different "
        "ones: each article's seed also depends on how many exist) and reuses the structure; slugs never collide."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles",
            default="300",
            help=f"How many articles to add (0 to {MAX_ARTICLES:,}; 0 builds only the structure). Default 300.",
        )
        parser.add_argument("--seed", default="1", help="Seed for everything generated. Default 1.")
        parser.add_argument(
            "--batch-size",
            default=str(DEFAULT_BATCH_SIZE),
            help=f"Articles written per transaction (1 to {MAX_BATCH_SIZE:,}). Default {DEFAULT_BATCH_SIZE:,}.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and say so in one line) if the site already has any article.",
        )
        parser.add_argument(
            "--no-index",
            action="store_true",
            help=(
                "Skip the search index and Wagtail's reference index (build them later with `manage.py update_index` "
                "and `manage.py rebuild_references_index`)."
            ),
        )

    def handle(self, *args, **options):
        count = whole_number("--articles", options["articles"], minimum=0, maximum=MAX_ARTICLES)
        seed = whole_number("--seed", options["seed"], minimum=0, maximum=2**31 - 1)
        batch_size = whole_number("--batch-size", options["batch_size"], minimum=1, maximum=MAX_BATCH_SIZE)

        if options["if_empty"] and ArticlePage.objects.exists():
            self.stdout.write("The library already has articles; --if-empty leaves it alone.")
            return

        progress = ProgressBar(self.stderr, enabled=options["verbosity"] > 0)
        builder = LibraryBuilder(seed=seed, progress=progress)
        started = time.monotonic()
        try:
            structure = builder.ensure_structure()
            summary = builder.generate(structure, count, batch_size=batch_size, index=not options["no_index"])
        except (LookupError, OverflowError) as error:
            raise CommandError(str(error)) from None
        # Bulk inserts send no publish signals: tell running servers their kept pages are out of date.
        content_version.bump()
        elapsed = time.monotonic() - started

        kinds = ", ".join(
            f"{summary.by_kind[kind]:,} {label}" for kind, label in KIND_LABELS.items() if summary.by_kind.get(kind)
        )
        self.stdout.write(
            f"Created {summary.created:,} articles"
            + (f" ({kinds})" if kinds else "")
            + f"; {summary.authors_created} new authors, {summary.topics_created} new topics, "
            f"{summary.images_created} new images; "
            + (f"{summary.indexed:,} indexed" if not options["no_index"] else "search index skipped")
            + f"; {elapsed:.1f}s."
        )
