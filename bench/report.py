"""What a run records: machine and versions, then a JSON file per run and a Markdown table."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path

from . import wrk
from .servers import nginx_binary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REFERENCES = {"nginx": "nginx, static file", "ceiling": "Django ceiling"}


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kib = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0)
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024**2, 1),
        "kernel": f"{platform.system()} {platform.release()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _command_version(argv: list[str]) -> str | None:
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)
    except OSError:
        return None
    text = (completed.stdout + completed.stderr).strip()
    return text.splitlines()[0] if text else None


def versions(postgres: str | None) -> dict:
    nginx = nginx_binary()
    return {
        "python": platform.python_version(),
        **{name: metadata.version(name) for name in ("django", "wagtail", "granian")},
        "wrk": wrk.version() if wrk.binary() else None,
        "nginx": _command_version([nginx, "-v"]) if nginx else None,
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
    }


def git_state() -> dict:
    def git(*args: str) -> str:
        completed = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return completed.stdout.strip()

    return {"revision": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def write(run: dict) -> tuple[Path, Path]:
    """The run's JSON under bench/results/ and its table as latest-<profile>.md; returns both paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(run["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    json_path = RESULTS / f"{stamp}-{run['profile']}.json"
    json_path.write_text(json.dumps(run, indent=2) + "\n")
    md_path = RESULTS / f"latest-{run['profile']}.md"
    md_path.write_text(markdown(run))
    return json_path, md_path


def _percent(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    percent = 100 * ratio
    return f"{percent:.2f}%" if percent < 10 else f"{percent:.0f}%"


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _row(label: str, db: str, m: dict) -> str:
    if not m.get("requests"):
        m = {**m, "p50_ms": None, "p99_ms": None, "p99_vs_ceiling": None}
    cells = [
        label,
        db,
        str(m["connections"]),
        _number(m.get("rps")),
        _number(m.get("ceiling_rps")),
        _percent(m.get("vs_nginx")),
        _percent(m.get("vs_ceiling")),
        _number(m.get("p50_ms"), 2),
        _number(m.get("p99_ms"), 2),
        "-" if m.get("p99_vs_ceiling") is None else f"x{m['p99_vs_ceiling']:,.1f}",
        str(m["errors"]) if "errors" in m else m.get("error", "-"),
        _number(m["peak_rss_bytes"] / 2**20, 0) if m.get("peak_rss_bytes") else "-",
    ]
    return "| " + " | ".join(cells) + " |"


def markdown(run: dict) -> str:
    m, p = run["machine"], run["parameters"]
    git = run["git"]
    revision = (git["revision"] or "unknown")[:10] + (" (dirty)" if git["dirty"] else "")
    lines = [
        f"# Masthead benchmark: {run['profile']} profile",
        "",
        f"- Date: {run['started_at'].replace('T', ' ').replace('+00:00', ' UTC')}",
        f"- Command: `{run['command']}`",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['kernel']}; "
        f"load average {' / '.join(map(str, m['load_average']))} at the start, "
        f"{' / '.join(map(str, m.get('load_average_end', [])))} at the end (other work on the machine skews "
        "absolute figures; the ratios to the references, measured in the same run, less so)",
        f"- Code: git {revision}; Python {run['versions']['python']}, Django {run['versions']['django']}, "
        f"Wagtail {run['versions']['wagtail']}, granian {run['versions']['granian']}",
        f"- Library: {p['articles']:,} articles, {p['readers']:,} readers, seed {p['seed']}; "
        f"pools of up to {p['pool_size']:,} distinct requests",
        f"- Load: wrk, {p['duration_s']} s per run after a {p['warmup_s']} s warm-up; 1 connection on 1 thread, "
        f"16 on 2; granian --interface wsgi --workers {p['granian_workers']} "
        f"--blocking-threads {p.get('granian_threads', 'default')}; nginx {p['nginx_workers']} workers",
    ]
    page = run.get("reference_page")
    if page:
        lines.append(f"- Reference page: `{page['path']}` ({page['bytes']:,} bytes), saved from Masthead")
    pages = run.get("ceiling_pages")
    if pages:
        sizes = ", ".join(f"{name} {size:,}" for name, size in pages.items())
        lines.append(f"- The ceiling returns each scenario's own page, its first request's answer (bytes): {sizes}")
    lines += [
        "",
        "req/s is also given as a share of the references' at the same connections. The Django ceiling is "
        "measured again right before each scenario (its req/s then is in the ceiling column), and each "
        "scenario's share of the ceiling and p99 vs ceiling (Masthead's p99 over the ceiling's) are against "
        "that measurement; nginx is measured once.",
        "",
        "| Scenario | DB | Conns | req/s | ceiling req/s | of nginx | of ceiling | p50 ms | p99 ms "
        "| p99 vs ceiling | Errors | Peak RSS MiB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, label in REFERENCES.items():
        for measure in run["references"].get(name, {}).values():
            lines.append(_row(label, "-", measure))
    for scenario, by_db in run["scenarios"].items():
        for db, by_connections in by_db.items():
            for measure in by_connections.values():
                lines.append(_row(scenario, db, measure))
    generation = []
    for db, library in run["libraries"].items():
        g = library["generation"]
        steps = ", ".join(
            f"{name} {step['seconds']:,.0f} s" for name, step in g.get("steps", {}).items() if name != "settle"
        )
        how = "reused from the cache" if library["reused"] else "generated in this run"
        generation.append(f"- {db}: {g.get('seconds', 0):,.0f} s ({steps}), {how}, on {g.get('generated_at')}")
    if generation:
        lines += ["", "Data generation:", "", *generation]
    if run["skipped"]:
        lines += ["", "Skipped:", "", *(f"- {line}" for line in run["skipped"])]
    if run["failures"]:
        lines += ["", "Failures:", "", *(f"- {line}" for line in run["failures"])]
    return "\n".join(lines) + "\n"
