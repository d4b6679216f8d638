"""The benchmark's data: a demo library and its readers, generated once per key and cached.

Each database gets a folder under `bench/.cache/` (its SQLite file, media,
collected static files and `library.json`) named by a key that hashes what
decides its content: the article and reader counts, the seed, the demo
generator and the population functions below. A rerun with the same key reuses
the folder, and for PostgreSQL the database named after the key, after
`migrate`. `library.json` records each migration the library has had applied,
with a digest of its file: a migration added since is applied by that
`migrate` (a new index at 100,000 articles costs minutes, not the 40 of a new
library), and one edited or removed since makes the library stale, so it is
generated again. A new key replaces the library of the same database and size,
so the cache holds one library per database and size.

Populations run inside Django, in a child process (`python -m bench.data
populate ...`), one function each. Later ones (meter states, subscriptions,
newsletter preferences) are new functions added to POPULATIONS.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import secrets
import shutil
import string
import subprocess
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
POSTGRES_URL = os.environ.get("MASTHEAD_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE_PREFIX = "masthead_bench_"
SECRET_KEY = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(50))
# What the benchmark sets; everything else a developer may have exported (REDIS_URL, DEBUG...) is left out.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


class DataError(Exception):
    """The library could not be built; the message is one line."""


@dataclass(frozen=True)
class Params:
    articles: int
    readers: int
    seed: int = 1


# --- Populations: run inside Django -------------------------------------------------------------


def populate_articles(params: Params, verbosity: int) -> int:
    """The demo library: structure, authors, pictures, N articles (bulk inserts), then the search index.

    The index is built by `search_reindex` after the inserts (the search scenario needs it): at
    100,000 articles it takes about 10 minutes on SQLite and 25 on PostgreSQL, once per cached library.
    """
    from django.core.management import call_command

    call_command("demo_library", articles=params.articles, seed=params.seed, no_index=True, verbosity=verbosity)
    call_command("search_reindex", verbosity=verbosity)
    return params.articles


def populate_readers(params: Params, verbosity: int) -> int:
    """Reader accounts: an email address and an unusable password each, joined over six years."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import transaction

    from masthead.accounts.models import User

    rng = random.Random(params.seed)
    alphabet = string.ascii_letters + string.digits
    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    six_years = 6 * 365 * 86400
    batch = 10_000
    for start in range(0, params.readers, batch):
        users = [
            User(
                email=f"reader{number:07d}@readers.example",
                password=UNUSABLE_PASSWORD_PREFIX + "".join(rng.choices(alphabet, k=40)),
                date_joined=anchor - timedelta(seconds=rng.randrange(six_years)),
            )
            for number in range(start, min(start + batch, params.readers))
        ]
        with transaction.atomic():
            User.objects.bulk_create(users)
        if verbosity and (start // batch) % 20 == 19:
            print(f"readers: {start + len(users):,}/{params.readers:,}", file=sys.stderr, flush=True)
    return params.readers


def reader_state(number: int) -> dict:
    """The state of reader `number` (0-based, in joining order): the same for every library, so scenarios can pick.

    Of every 20 readers: 15 confirmed their address, 5 did not; 2 of the confirmed hold a subscription
    (complimentary access standing in for billing); the other confirmed readers have spent 0, 1, 2 or 3
    (all) of this month's free articles in turn. Newsletters: 3 in 5 confirmed readers consented; of
    those, 2 in 5 take the Daily Review and 4 in 5 the Weekly Review.
    """
    slot = number % 20
    verified = slot < 15
    subscriber = slot in (0, 10)
    used = 0 if (subscriber or not verified) else (number // 20) % 4
    consented = verified and number % 5 < 3
    return {
        "verified": verified,
        "subscriber": subscriber,
        "used": used,
        "daily": consented and number % 5 < 2 and (number // 5) % 5 < 2,
        "weekly": consented and (number // 5) % 5 < 4,
        "consented": consented,
    }


def populate_reader_states(params: Params, verbosity: int) -> int:
    """Confirmed addresses, subscriptions, this month's meter and newsletter choices (see `reader_state`)."""
    from allauth.account.models import EmailAddress
    from django.db import transaction
    from django.utils import timezone

    from masthead.access.enums import UnlockSource
    from masthead.access.models import ComplimentaryAccess, MeterUnlock
    from masthead.access.services import month_of
    from masthead.accounts.models import User
    from masthead.articles.models import ArticlePage
    from masthead.newsletters.enums import ConsentMethod
    from masthead.newsletters.models import Newsletter, NewsletterChoice, NewsletterConsent

    rng = random.Random(params.seed)
    now = timezone.now()
    month = month_of(now)
    article_ids = list(ArticlePage.objects.values_list("pk", flat=True))
    newsletters = {n.slug: n for n in Newsletter.objects.all()}
    daily, weekly = newsletters.get("daily"), newsletters.get("weekly")
    users = User.objects.filter(email__endswith="@readers.example").order_by("pk").values_list("pk", "email")
    batch = 10_000
    rows = 0
    for start in range(0, params.readers, batch):
        chunk = list(users[start : start + batch])
        addresses, grants, unlocks, consents, choices = [], [], [], [], []
        for offset, (pk, email) in enumerate(chunk):
            state = reader_state(start + offset)
            if state["verified"]:
                addresses.append(EmailAddress(user_id=pk, email=email, verified=True, primary=True))
            if state["subscriber"]:
                grants.append(
                    ComplimentaryAccess(
                        reader_id=pk, starts_at=now - timedelta(days=400), ends_at=now + timedelta(days=3650)
                    )
                )
            for article_id in rng.sample(article_ids, min(state["used"], len(article_ids))):
                unlocks.append(
                    MeterUnlock(
                        reader_id=pk, article_id=article_id, source=UnlockSource.METER, month=month, created_at=now
                    )
                )
            if state["consented"]:
                consents.append(NewsletterConsent(reader_id=pk, confirmed_at=now, method=ConsentMethod.EDITOR))
                for wanted, newsletter in ((state["daily"], daily), (state["weekly"], weekly)):
                    if wanted and newsletter is not None:
                        choices.append(NewsletterChoice(reader_id=pk, newsletter=newsletter, changed_at=now))
        with transaction.atomic():
            for model, objects in (
                (EmailAddress, addresses),
                (ComplimentaryAccess, grants),
                (MeterUnlock, unlocks),
                (NewsletterConsent, consents),
                (NewsletterChoice, choices),
            ):
                model.objects.bulk_create(objects, batch_size=2000)
                rows += len(objects)
        if verbosity and (start // batch) % 20 == 19:
            print(f"reader states: {start + len(chunk):,}/{params.readers:,}", file=sys.stderr, flush=True)
    return rows


POPULATIONS = {"articles": populate_articles, "readers": populate_readers, "reader_states": populate_reader_states}


def _settle() -> str:
    """Leave the database as a long-running one would be: statistics gathered, WAL folded in."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            return "VACUUM ANALYZE"
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return "PRAGMA wal_checkpoint(TRUNCATE)"


def _populate(params: Params, verbosity: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    steps = {}
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    steps["migrate"] = {"seconds": round(time.monotonic() - started, 1)}
    for name, populate in POPULATIONS.items():
        started = time.monotonic()
        count = populate(params, verbosity)
        steps[name] = {"count": count, "seconds": round(time.monotonic() - started, 1)}
    started = time.monotonic()
    steps["settle"] = {"statement": _settle(), "seconds": round(time.monotonic() - started, 1)}
    return steps


# --- The cache: used by the harness, outside Django ----------------------------------------------


def base_env(**settings: str) -> dict[str, str]:
    """A child's environment: the few variables passed through, the run's secret key, then `settings`."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    return {**env, "PYTHONPATH": str(ROOT), "SECRET_KEY": SECRET_KEY, **settings}


@dataclass
class Library:
    db: str
    params: Params
    key: str
    var_dir: Path
    database_url: str
    generation: dict
    reused: bool

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every Masthead process of the benchmark: production settings, this library."""
        return base_env(
            DJANGO_SETTINGS_MODULE="masthead.settings.production",
            SECURE_COOKIES="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.database_url,
            MASTHEAD_VAR_DIR=str(self.var_dir),
            MEDIA_ROOT=str(self.var_dir / "media"),
            **extra,
        )

    def describe(self) -> str:
        how = "reused" if self.reused else "generated"
        return f"{self.db}: {self.params.articles:,} articles, {self.params.readers:,} readers ({how}, key {self.key})"


def cache_key(db: str, params: Params) -> str:
    digest = sha256(json.dumps({"db": db, **asdict(params)}, sort_keys=True).encode())
    demo = [p for p in (ROOT / "masthead" / "demo").rglob("*.py") if "tests" not in p.parts]
    for path in sorted(demo):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    for populate in [*POPULATIONS.values(), reader_state]:
        digest.update(inspect.getsource(populate).encode())
    digest.update(inspect.getsource(_settle).encode())
    return digest.hexdigest()[:12]


def migration_digests() -> dict[str, str]:
    """Masthead's migration files now, each with a digest of its content."""
    paths = sorted((ROOT / "masthead").glob("*/migrations/*.py"))
    return {str(p.relative_to(ROOT)): sha256(p.read_bytes()).hexdigest()[:16] for p in paths}


def stale_migrations(applied: dict[str, str], current: dict[str, str]) -> list[str]:
    """The migrations a library had applied that have since been edited or removed (newer ones are fine)."""
    return sorted(name for name, digest in applied.items() if current.get(name) != digest)


def postgres_problem() -> str | None:
    """None when the benchmark's PostgreSQL server answers, else why not (one line)."""
    try:
        _admin_connection().close()
    except Exception as error:
        return f"PostgreSQL unreachable at {POSTGRES_URL} ({str(error).strip().splitlines()[0]})"
    return None


def postgres_version() -> str | None:
    try:
        with _admin_connection() as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return row[0] if row else None
    except Exception:
        return None


def _admin_connection():
    import psycopg

    return psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=3)


def _database_exists(name: str) -> bool:
    with _admin_connection() as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _drop_database(name: str) -> None:
    from psycopg import sql

    with _admin_connection() as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _create_database(name: str) -> None:
    from psycopg import sql

    with _admin_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_library(db: str, params: Params, *, say=print) -> Library:
    """The cached library for this database and parameters, generated first if there is none."""
    key = cache_key(db, params)
    var_dir = CACHE / f"{db}-{params.articles}-{key}"
    name = f"{DATABASE_PREFIX}{key}"
    url = f"sqlite:///{var_dir / 'masthead.sqlite3'}" if db == "sqlite" else f"{POSTGRES_URL}/{name}"
    marker = var_dir / "library.json"
    if marker.exists() and (db == "sqlite" or _database_exists(name)):
        generation = json.loads(marker.read_text())
        stale = stale_migrations(generation.get("migrations", {}), migration_digests())
        if not stale:
            return Library(db, params, key, var_dir, url, generation, reused=True)
        say(f"bench: the {db} library had migrations applied that changed since: {', '.join(stale[:3])}")

    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("# Generated libraries: never committed, never linted.\n*\n")
    for stale in CACHE.glob(f"{db}-{params.articles}-*"):
        if db == "postgres":
            _drop_database(DATABASE_PREFIX + stale.name.rsplit("-", 1)[-1])
        shutil.rmtree(stale)
    var_dir.mkdir(parents=True)
    if db == "postgres":
        _drop_database(name)
        _create_database(name)
    library = Library(db, params, key, var_dir, url, {}, reused=False)
    say(f"bench: generating {library.describe()}; this takes a while once, then the cache is reused")
    verbosity = 1 if params.articles >= 10_000 else 0
    started = time.monotonic()
    migrations = migration_digests()  # as the child's `migrate` reads them, before any later edit
    steps = _run_populate(library, verbosity)
    library.generation = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "steps": steps,
        "migrations": migrations,
    }
    marker.write_text(json.dumps(library.generation, indent=2) + "\n")
    return library


def prepare(library: Library) -> None:
    """Ready a library for serving: `migrate` (a no-op unless an app was added), and `collectstatic`
    into its folder unless the static sources are unchanged since the last time.
    """
    sources = sorted(p for p in (ROOT / "masthead").rglob("static/**/*") if p.is_file())
    stamp = sha256(b"".join(f"{p}:{p.stat().st_mtime_ns}:{p.stat().st_size}\n".encode() for p in sources))
    stamp.update((ROOT / "uv.lock").read_bytes())
    stamp_file = library.var_dir / "static" / ".bench-sources"
    collect = not (stamp_file.exists() and stamp_file.read_text() == stamp.hexdigest())
    argv = [sys.executable, "-m", "bench.data", "prepare"] + (["--collectstatic"] if collect else [])
    completed = subprocess.run(argv, cwd=ROOT, env=library.env(), capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        lines = [x for x in completed.stderr.splitlines() if x.strip() and not x.startswith(" ")]
        raise DataError(f"preparing the {library.db} library failed: {lines[-1] if lines else completed.returncode}")
    if collect:
        stamp_file.write_text(stamp.hexdigest())
    applied = migration_digests()
    if library.generation.get("migrations") != applied:
        library.generation["migrations"] = applied
        (library.var_dir / "library.json").write_text(json.dumps(library.generation, indent=2) + "\n")


def _run_populate(library: Library, verbosity: int) -> dict:
    p = library.params
    argv = [sys.executable, "-m", "bench.data", "populate", f"--articles={p.articles}", f"--readers={p.readers}"]
    argv += [f"--seed={p.seed}", f"--verbosity={verbosity}"]
    env = library.env(PYTHONUNBUFFERED="1")
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail: deque[str] = deque(maxlen=30)
    assert process.stdout is not None
    for line in process.stdout:
        tail.append(line.rstrip())
        if verbosity and not line.startswith("{"):
            print(f"  {line.rstrip()}", file=sys.stderr, flush=True)
    if process.wait() != 0:
        errors = [line for line in tail if line and not line.startswith(" ")]
        raise DataError(f"generating the {library.db} library failed: {errors[-1] if errors else 'no output'}")
    return json.loads(tail[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.data", description="Fill the database DATABASE_URL names.")
    sub = parser.add_subparsers(dest="command", required=True)
    populate = sub.add_parser("populate", help="Migrate, then run every population (inside Django).")
    populate.add_argument("--articles", type=int, required=True)
    populate.add_argument("--readers", type=int, required=True)
    populate.add_argument("--seed", type=int, default=1)
    populate.add_argument("--verbosity", type=int, default=1)
    prepare = sub.add_parser("prepare", help="Migrate; collect static files if asked (inside Django).")
    prepare.add_argument("--collectstatic", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        if args.collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        return
    steps = _populate(Params(args.articles, args.readers, args.seed), args.verbosity)
    print(json.dumps(steps), flush=True)


if __name__ == "__main__":
    main()
