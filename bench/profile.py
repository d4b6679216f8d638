"""Profile one scenario inside Django, against a benchmark library, with the production settings.

    uv run --no-sync --with pyinstrument python -m bench.profile --db postgres
    uv run --no-sync --with pyinstrument python -m bench.profile --db sqlite --scenario home --profile smoke

Reuses (or builds) the library `bench.run` uses for the same profile, then
sends a pool of N of the scenario's requests through Django's WSGI handler,
as granian would: once each to warm caches (renditions, the site root), then
timed and counted (queries, time in SQL), then under pyinstrument. Prints where
the time goes by category (the innermost matching frame decides, except that
everything under a database connect counts as connecting), the queries of
one request, and writes pyinstrument's tree to
bench/results/profile-<db>-<scenario>.{txt,html}.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from collections import Counter

from . import data
from .run import PROFILES
from .scenarios import SCENARIOS

# (category, test on (file path, function)); the first that matches names a frame.
CATEGORIES = [
    ("db connect", lambda f, fn: "/django/db/backends/" in f and fn in ("connect", "get_new_connection")),
    ("SQL execute + fetch", lambda f, fn: "/django/db/backends/" in f or "psycopg" in f or "sqlite3" in f),
    ("ORM (querysets, model instances)", lambda f, fn: "/django/db/models/" in f or "/modelcluster/" in f),
    ("image renditions", lambda f, fn: "/wagtail/images/" in f or "/PIL/" in f or "/willow/" in f),
    ("StreamField blocks", lambda f, fn: "/wagtail/blocks/" in f or "/wagtail/fields" in f),
    ("Wagtail rich text", lambda f, fn: "/wagtail/rich_text/" in f),
    ("templates", lambda f, fn: "/django/template/" in f or "/templatetags/" in f),
    ("Wagtail routing", lambda f, fn: "/wagtail/" in f and fn in ("serve", "route", "find_for_request")),
    ("Wagtail site/settings", lambda f, fn: "/wagtail/models/sites" in f or "/wagtail/contrib/settings/" in f),
    ("Wagtail redirects", lambda f, fn: "/wagtail/contrib/redirects/" in f),
    ("sessions + auth", lambda f, fn: "/django/contrib/sessions/" in f or "/django/contrib/auth/" in f),
    ("allauth", lambda f, fn: "/allauth/" in f),
    ("URL resolving", lambda f, fn: "/django/urls/" in f),
    ("Masthead code", lambda f, fn: "/masthead/" in f and "site-packages" not in f),
    ("Django handler + middleware", lambda f, fn: "/django/core/handlers/" in f or "/django/middleware/" in f),
]
STICKY = {"db connect"}
# Inclusive time of what the issue asks about: (label, test on (file path, function)); outermost call counts.
INCLUSIVE = [
    ("Wagtail routing (route_for_request)", lambda f, fn: fn == "route_for_request"),
    ("view context (get_context, _hub)", lambda f, fn: "/masthead/" in f and fn in ("get_context", "_hub")),
    ("template rendering (response.render)", lambda f, fn: f.endswith("template/response.py") and fn == "render"),
    ("image renditions (get_rendition[s])", lambda f, fn: fn in ("get_rendition", "get_renditions")),
    ("session + user (get_user)", lambda f, fn: "/django/contrib/auth/" in f and fn == "get_user"),
    ("paywall (masthead.access)", lambda f, fn: "/masthead/access/" in f),
    ("db connect (with its PRAGMAs)", lambda f, fn: "/django/db/backends/base/" in f and fn == "connect"),
]


def categorise(root) -> Counter:
    """Seconds of self time per category over a pyinstrument frame tree."""
    totals: Counter = Counter()
    stack = [(root, "other")]
    while stack:
        frame, inherited = stack.pop()
        category = inherited
        if inherited not in STICKY:
            path, function = frame.file_path or "", frame.function or ""
            category = next((name for name, test in CATEGORIES if test(path, function)), inherited)
        children = list(frame.children)
        totals[category] += max(frame.time - sum(child.time for child in children), 0.0)
        stack.extend((child, category) for child in children)
    return totals


def inclusive(root) -> Counter:
    """Seconds inside each INCLUSIVE function, counting a call inside another call of the same one once."""
    totals: Counter = Counter()
    stack = [(root, frozenset())]
    while stack:
        frame, inside = stack.pop()
        path, function = frame.file_path or "", frame.function or ""
        matched = {label for label, test in INCLUSIVE if test(path, function)} - inside
        for label in matched:
            totals[label] += frame.time
        stack.extend((child, inside | matched) for child in frame.children)
    return totals


def _shape(sql: str) -> str:
    return re.sub(r"\b\d+\b", "N", re.sub(r"'[^']*'", "'S'", sql))


def _environ(path: str, cookie: str | None) -> dict:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    return environ


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full", help="Which library (default full).")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="article_anonymous")
    parser.add_argument("--requests", type=int, default=200, help="Distinct requests; each sent thrice (default 200).")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("bench.profile needs pyinstrument: uv run --no-sync --with pyinstrument ...") from None

    settings = PROFILES[args.profile]
    library = data.ensure_library(args.db, data.Params(settings["articles"], settings["readers"]))
    data.prepare(library)
    os.environ.update(library.env())
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masthead.wsgi import application  # as granian serves it: kept pages answered early

    pool = SCENARIOS[args.scenario].build(args.requests)

    def get(i: int) -> bytes:
        statuses = []
        cookie = pool.cookies[i % len(pool.cookies)] if pool.cookies else None
        response = application(_environ(pool.paths[i % len(pool.paths)], cookie), lambda s, h: statuses.append(s))
        body = b"".join(response)
        getattr(response, "close", lambda: None)()  # request_finished (an early answer closes old connections itself)
        if not statuses[0].startswith("200"):
            raise SystemExit(f"GET {pool.paths[i % len(pool.paths)]} answered {statuses[0]}")
        return body

    for i in range(len(pool.paths)):
        get(i)
    walls, counts, sql_ms = [], [], []
    slow: Counter = Counter()
    for i in range(args.requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            get(i)
            walls.append(1000 * (time.perf_counter() - started))
        counts.append(len(captured))
        sql_ms.append(sum(1000 * float(q["time"]) for q in captured.captured_queries))
        for q in captured.captured_queries:
            slow[_shape(q["sql"])] += 1000 * float(q["time"]) / args.requests
        if i == 0:
            first_queries = [q["sql"] for q in captured.captured_queries]

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for i in range(args.requests):
        get(i)
    profiler.stop()
    session = profiler.last_session
    totals = categorise(session.root_frame())
    per_request = {name: 1000 * seconds / args.requests for name, seconds in totals.items()}
    whole = sum(per_request.values())

    print(f"{args.scenario} on {library.describe()}; {args.requests} requests over {len(pool.paths)} paths")
    print(
        f"wall per request (no profiler): mean {statistics.mean(walls):.1f} ms, "
        f"median {statistics.median(walls):.1f} ms; queries per request: {sorted(Counter(counts).items())}; "
        f"SQL time as Django measures it: mean {statistics.mean(sql_ms):.1f} ms"
    )
    print(f"\nwhere the time goes under pyinstrument ({whole:.1f} ms per request):")
    for name, ms in sorted(per_request.items(), key=lambda item: -item[1]):
        print(f"  {name:<34} {ms:7.2f} ms  {100 * ms / whole:5.1f}%")
    print("\ninclusive time of the usual suspects (overlapping; outermost call counted):")
    for name, seconds in sorted(inclusive(session.root_frame()).items(), key=lambda item: -item[1]):
        ms = 1000 * seconds / args.requests
        print(f"  {name:<40} {ms:7.2f} ms  {100 * ms / whole:5.1f}%")
    print("\nthe costliest queries (ms per request, summed over the queries of that shape):")
    for sql, ms in slow.most_common(3):
        print(f"  {ms:8.2f} ms  {sql[:160]} ... {sql[-260:]}")
    shapes = Counter(_shape(sql) for sql in first_queries)
    print(f"\nthe {len(first_queries)} queries of one request ({pool.paths[0]}):")
    for sql, times in shapes.most_common():
        print(f"  {times} x {sql[:220]}")
    stem = data.ROOT / "bench" / "results" / f"profile-{args.db}-{args.scenario}"
    stem.with_suffix(".txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    stem.with_suffix(".html").write_text(profiler.output_html())
    print(f"\npyinstrument's tree: {stem.with_suffix('.txt')} (and .html); {session.sample_count} samples")


if __name__ == "__main__":
    main()
