"""Benchmark Masthead beside its references, with one command anyone can rerun.

    python -m bench.run --profile smoke    # about a minute; checks the harness works (CI runs it)
    python -m bench.run --profile full     # 100,000 articles and 1,000,000 readers, SQLite and PostgreSQL

For each database the harness builds a library (or reuses it from
bench/.cache/), collects static files and serves Masthead under granian with
the production settings. It measures each scenario with wrk at 1 and 16
connections after a warm-up, sampling the server's memory. In the same run it
measures two references serving one saved Masthead article page: nginx
serving it as a static file (the physical limit) and a minimal Django view
under the same granian (the Python ceiling). Masthead's throughput is
reported as a share of theirs: ratios measured side by side hold on a noisy
machine where absolute figures do not.

Writes bench/results/<UTC time>-<profile>.json and bench/results/latest-<profile>.md
and prints the table. Exit status: 0 when every scenario ran without an error,
1 (with one line on stderr) when one failed, 2 when wrk or nginx is missing.
PostgreSQL is skipped with one line when unreachable, unless asked for by --db.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from . import data, report, servers, wrk
from .scenarios import SCENARIOS

PROFILES = {
    "smoke": {"articles": 300, "readers": 2_000, "duration": 3, "warmup": 1, "pool": 50},
    "full": {"articles": 100_000, "readers": 1_000_000, "duration": 15, "warmup": 5, "pool": 1_000},
}
CONNECTIONS = (1, 16)
CHECKED = 100  # requests of each pool sent once, and checked, before the warm-up (--warm-all: every one)
FETCH_TIMEOUT_S = 60
REFERENCE_SCENARIO = "article_anonymous"  # the reference page is the first page of its pool


class Failure(Exception):
    """A scenario could not be measured; the message is one line."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise Failure(f"{req.full_url} redirects ({code}) to {newurl}")


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        epilog="scenarios:\n" + "\n".join(f"  {s.name:<20}{s.description}" for s in SCENARIOS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="smoke", help="Defaults below (smoke).")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both", help="Default: both.")
    parser.add_argument("--articles", type=int, help="Library size (smoke 300, full 100,000).")
    parser.add_argument("--readers", type=int, help="Reader accounts (smoke 2,000, full 1,000,000).")
    parser.add_argument("--duration", type=int, help="Seconds per measured wrk run (smoke 3, full 15).")
    parser.add_argument("--warmup", type=int, help="Seconds of warm-up per scenario, not measured (smoke 1, full 5).")
    parser.add_argument("--pool", type=int, help="Distinct requests per scenario at most (smoke 50, full 1,000).")
    parser.add_argument(
        "--warm-all",
        action="store_true",
        help="Send every request of each pool once before measuring (a site whose pages were all read since the "
        "last publication), not only the first 100 (the default: mostly first visits when the pool is large).",
    )
    parser.add_argument("--scenarios", help=f"Comma-separated subset of: {','.join(SCENARIOS)} (default: all).")
    args = parser.parse_args(argv)
    for name, value in PROFILES[args.profile].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.scenario_names = [s.strip() for s in (args.scenarios or ",".join(SCENARIOS)).split(",") if s.strip()]
    unknown = [name for name in args.scenario_names if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}; choose from {', '.join(SCENARIOS)}")
    return args


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _django(argv: list[str], env: dict[str, str], what: str) -> str:
    completed = subprocess.run([sys.executable, *argv], cwd=data.ROOT, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        lines = [x for x in completed.stderr.splitlines() if x.strip() and not x.startswith(" ")]
        raise Failure(f"{what} failed: {lines[-1] if lines else completed.returncode}")
    return completed.stdout


def _fetch(server: servers.Server, path: str, cookie: str | None) -> bytes:
    url = server.base_url + path  # always http://127.0.0.1:<port>
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with _OPENER.open(request, timeout=FETCH_TIMEOUT_S) as response:
            body = response.read()
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        raise Failure(f"GET {path} answered {error.code}") from None
    except OSError as error:
        raise Failure(f"GET {path} failed: {error}") from None
    if not kind.startswith("text/html"):
        raise Failure(f"GET {path} answered {kind or 'no content type'}, not HTML")
    return body


class Run:
    def __init__(self, args: argparse.Namespace, argv: list[str], workdir: Path):
        self.args, self.workdir = args, workdir
        self.failures: list[str] = []
        self.skipped: list[str] = []
        self.libraries: dict[str, dict] = {}
        self.scenarios: dict[str, dict[str, dict]] = {name: {} for name in args.scenario_names}
        self.references: dict[str, dict] = {}
        self.reference_page: dict | None = None
        # Each scenario's page for the ceiling to return (the answer to its first request): {scenario: bytes}.
        self.ceiling_pages: dict[str, int] = {}
        # The Django ceiling measured again right before each scenario: {scenario: {db: measures}}.
        self.paired: dict[str, dict[str, dict]] = {name: {} for name in args.scenario_names}
        self.ceiling: servers.Server | None = None
        self.servers = contextlib.ExitStack()
        self.started_at = datetime.now(UTC)
        self.machine = report.machine()  # load average at the start
        self.command = " ".join(["python -m bench.run", *argv])

    def fail(self, line: str) -> None:
        self.failures.append(line)
        say(f"bench: failed: {line}")

    # --- Measuring -------------------------------------------------------------------------------

    def measure(
        self,
        server: servers.Server,
        label: str,
        paths: list[str],
        cookies: list[str],
        expect: list[str] = (),
        refuse: list[str] = (),
    ) -> dict[str, dict]:
        """Send the pool's first requests once (checked), warm up, then one wrk run per connection count.

        The first pass also leaves the library as a long-running site's: image renditions made, caches filled.
        Each of those answers must contain every `expect` text and no `refuse` text (the right reader was seen).
        """
        whole = max(len(paths), len(cookies))
        size = whole if self.args.warm_all else min(whole, CHECKED)
        pairs = [(paths[i % len(paths)], cookies[i % len(cookies)] if cookies else None) for i in range(size)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            bodies = list(pool.map(lambda pair: _fetch(server, *pair), pairs))
        for (path, _), body in zip(pairs, bodies, strict=True):
            text = body.decode(errors="replace")
            missing = [wanted for wanted in expect if wanted not in text]
            found = [unwanted for unwanted in refuse if unwanted in text]
            if missing or found:
                what = f"lacks {missing[0]!r}" if missing else f"contains {found[0]!r}"
                raise Failure(f"GET {path} {what}: the page is not the one this scenario's reader should get")
        stem = self.workdir / label.replace(" ", "-")
        paths_file = stem.with_suffix(".paths")
        paths_file.write_text("\n".join(paths) + "\n")
        cookies_file = stem.with_suffix(".cookies") if cookies else None
        if cookies_file:
            cookies_file.write_text("\n".join(cookies) + "\n")
        url, a = server.base_url, self.args
        wrk.run(url, paths_file, cookies_file, connections=max(CONNECTIONS), duration=a.warmup)
        measures = {}
        for connections in CONNECTIONS:
            server.wait_idle()  # what the previous run left queued must not count against this one
            with servers.PeakRss(server) as rss:
                result = wrk.run(url, paths_file, cookies_file, connections=connections, duration=a.duration)
            measures[str(connections)] = {**asdict(result), "errors": result.errors, "peak_rss_bytes": rss.peak}
            say(
                f"bench: {label}, {connections} conn: {result.rps:,.1f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, {result.errors} errors, peak RSS {rss.peak / 2**20:,.0f} MiB"
            )
            if result.errors:
                sockets = sum(result.socket_errors.values())
                self.fail(
                    f"{label} at {connections} connections: {result.non_2xx} responses >= 400 and {sockets} socket "
                    f"errors in {result.requests:,} requests"
                )
            elif not result.requests:
                self.fail(f"{label} at {connections} connections: no response within {a.duration} s")
        return measures

    def masthead(self, db: str) -> None:
        a = self.args
        try:
            library = data.ensure_library(db, data.Params(a.articles, a.readers), say=say)
        except (data.DataError, OSError) as error:
            self.fail(f"{db} library: {error}")
            return
        self.libraries[db] = {"key": library.key, "reused": library.reused, "generation": library.generation}
        say(f"bench: {library.describe()}")
        env = library.env()
        try:
            data.prepare(library)
            names = sorted({*a.scenario_names, REFERENCE_SCENARIO})
            pools = json.loads(
                _django(["-m", "bench.scenarios", *names, f"--size={a.pool}"], env, "building the request pools")
            )
        except (Failure, data.DataError) as error:
            self.fail(f"{db}: {error}")
            return
        server = servers.granian(f"masthead-{db}", "masthead.wsgi:application", env, self.workdir)
        try:
            with servers.running(server):
                if self.reference_page is None:
                    self.save_reference_page(server, db, pools[REFERENCE_SCENARIO]["paths"][0])
                if self.reference_page is not None and self.ceiling is None:
                    self.save_ceiling_pages(server, pools)
                for name in a.scenario_names:
                    try:
                        pool = pools[name]
                        ceiling = self.ceiling_server()
                        if ceiling is not None:
                            page = f"/{name}.html" if name in self.ceiling_pages else "/"
                            self.paired[name][db] = self.measure(ceiling, f"ceiling before {name} {db}", [page], [])
                        self.scenarios[name][db] = self.measure(
                            server,
                            f"{name} {db}",
                            pool["paths"],
                            pool["cookies"],
                            pool.get("expect", []),
                            pool.get("refuse", []),
                        )
                    except (Failure, wrk.WrkError) as error:
                        self.fail(f"{name} on {db}: {error}")
        except (Failure, servers.ServerError) as error:
            self.fail(f"masthead on {db}: {error}")

    def save_reference_page(self, server: servers.Server, db: str, path: str) -> None:
        try:
            body = _fetch(server, path, None)
        except Failure as error:
            say(f"bench: the reference page could not be saved from {db}: {error}")
            return
        (self.workdir / "www").mkdir(exist_ok=True)
        (self.workdir / "www" / "article.html").write_bytes(body)
        self.reference_page = {"path": path, "bytes": len(body), "db": db}

    def save_ceiling_pages(self, server: servers.Server, pools: dict) -> None:
        """Each scenario's page for the ceiling: the answer to its first request, with its first cookie.

        The ceiling is "a minimal Django view returning a page of the same size"; a subscriber's page (the
        whole article) is larger than the anonymous teaser saved as the reference page.
        """
        for name in self.args.scenario_names:
            pool = pools[name]
            cookie = pool["cookies"][0] if pool["cookies"] else None
            try:
                body = _fetch(server, pool["paths"][0], cookie)
            except Failure as error:
                say(f"bench: {name}'s page for the ceiling could not be saved ({error}); the reference page is used")
                continue
            (self.workdir / "www" / f"{name}.html").write_bytes(body)
            self.ceiling_pages[name] = len(body)

    def ceiling_server(self) -> servers.Server | None:
        """The Django ceiling, started once the reference page is saved and kept running beside Masthead.

        Measuring it right before each scenario makes each ratio one of two figures taken a few seconds
        apart: the machine's other work then skews both alike.
        """
        if self.ceiling is None and self.reference_page is not None:
            page = self.workdir / "www" / "article.html"
            env = data.base_env(DJANGO_SETTINGS_MODULE="bench.ceiling.settings", BENCH_CEILING_HTML=str(page))
            server = servers.granian("ceiling", "bench.ceiling.wsgi:application", env, self.workdir)
            try:
                self.ceiling = self.servers.enter_context(servers.running(server, "/"))
            except servers.ServerError as error:
                self.fail(f"reference ceiling: {error}")
        return self.ceiling

    def references_(self) -> None:
        if self.reference_page is None:
            self.skipped.append("references: no Masthead article page was saved to serve")
            return
        www = self.workdir / "www"
        try:
            with servers.running(servers.nginx(www, self.workdir), "/article.html") as server:
                self.references["nginx"] = self.measure(server, report.REFERENCES["nginx"], ["/article.html"], [])
            ceiling = self.ceiling_server()
            if ceiling is not None:
                self.references["ceiling"] = self.measure(ceiling, report.REFERENCES["ceiling"], ["/"], [])
        except (Failure, servers.ServerError, wrk.WrkError) as error:
            self.fail(f"references: {error}")
        finally:
            self.servers.close()

    # --- Results ---------------------------------------------------------------------------------

    def add_ratios(self) -> None:
        """Shares of nginx's req/s (measured once) and of the ceiling's measured right before the scenario."""
        for name, by_db in self.scenarios.items():
            for db, by_connections in by_db.items():
                for connections, m in by_connections.items():
                    nginx = self.references.get("nginx", {}).get(connections)
                    paired = self.paired.get(name, {}).get(db, {}).get(connections)
                    ceiling = paired or self.references.get("ceiling", {}).get(connections)
                    m["ceiling_rps"] = ceiling["rps"] if ceiling else None
                    m["ceiling_p99_ms"] = ceiling["p99_ms"] if ceiling else None
                    m["vs_nginx"] = round(m["rps"] / nginx["rps"], 5) if nginx and nginx["rps"] else None
                    m["vs_ceiling"] = round(m["rps"] / ceiling["rps"], 5) if ceiling and ceiling["rps"] else None
                    m["p99_vs_ceiling"] = round(m["p99_ms"] / ceiling["p99_ms"], 2) if ceiling else None

    def as_dict(self, postgres: str | None) -> dict:
        a = self.args
        return {
            "schema": 1,
            "profile": a.profile,
            "command": self.command,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {**self.machine, "load_average_end": [round(x, 2) for x in os.getloadavg()]},
            "versions": report.versions(postgres),
            "git": report.git_state(),
            "parameters": {
                "articles": a.articles,
                "readers": a.readers,
                "seed": 1,
                "duration_s": a.duration,
                "warmup_s": a.warmup,
                "pool_size": a.pool,
                "connections": list(CONNECTIONS),
                "threads": [wrk.threads_for(c) for c in CONNECTIONS],
                "wrk_timeout_s": wrk.TIMEOUT_S,
                "granian_workers": servers.GRANIAN_WORKERS,
                "granian_threads": servers.GRANIAN_THREADS,
                "nginx_workers": servers.NGINX_WORKERS,
                "dbs": list(self.libraries),
                "scenarios": a.scenario_names,
            },
            "libraries": self.libraries,
            "reference_page": self.reference_page,
            "ceiling_pages": self.ceiling_pages,
            "references": self.references,
            "paired_ceilings": {name: by_db for name, by_db in self.paired.items() if by_db},
            "scenarios": {name: by_db for name, by_db in self.scenarios.items() if by_db},
            "skipped": self.skipped,
            "failures": self.failures,
        }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if wrk.binary() is None:
        print("bench: wrk not found on PATH (apt-get install -y wrk)", file=sys.stderr)
        return 2
    if servers.nginx_binary() is None:
        print("bench: nginx not found (apt-get install -y nginx)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers' finally blocks run

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="masthead-bench-") as workdir:
        run = Run(args, argv, Path(workdir))
        if "postgres" in dbs and (problem := data.postgres_problem()):
            if args.db == "postgres":
                print(f"bench: {problem}", file=sys.stderr)
                return 1
            dbs.remove("postgres")
            run.skipped.append(f"postgres: {problem}")
            say(f"bench: {problem}; the PostgreSQL run is skipped")
        try:
            for db in dbs:
                run.masthead(db)
            run.references_()
        finally:
            run.servers.close()
        run.add_ratios()
    result = run.as_dict(data.postgres_version() if "postgres" in dbs else None)
    json_path, md_path = report.write(result)
    print(report.markdown(result))
    say(f"bench: {time.monotonic() - started:,.0f} s; wrote {json_path.relative_to(data.ROOT)} and {md_path.name}")
    if run.failures:
        more = f" (and {len(run.failures) - 1} more)" if len(run.failures) > 1 else ""
        print(f"bench: FAILED: {run.failures[0]}{more}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
