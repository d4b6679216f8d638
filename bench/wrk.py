"""Running wrk against a server with a pool of requests (bench/lua/pool.lua) and reading its JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua" / "pool.lua"
TIMEOUT_S = 10  # wrk's default (2 s) would count a slow page as an error rather than a latency


class WrkError(Exception):
    """wrk did not run or printed nothing we can read; the message is one line."""


@dataclass(frozen=True)
class Result:
    connections: int
    threads: int
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    bytes_per_request: int
    non_2xx: int  # wrk counts statuses of 400 and above
    socket_errors: dict[str, int]

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def binary() -> str | None:
    return shutil.which("wrk")


def version() -> str:
    output = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (output.stdout or output.stderr).splitlines()[0].split(" Copyright")[0].strip()


def threads_for(connections: int) -> int:
    return 1 if connections == 1 else 2


def run(base_url: str, paths_file: Path, cookies_file: Path | None, *, connections: int, duration: int) -> Result:
    threads = threads_for(connections)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={TIMEOUT_S}s", "-s", str(LUA)]
    argv += [base_url + "/", "--", str(paths_file), str(cookies_file or "-"), str(threads)]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((x for x in completed.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if completed.returncode != 0 or line is None:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise WrkError(f"wrk failed ({completed.returncode}): {detail[-1] if detail else 'no output'}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    duration_s = raw["duration_us"] / 1e6
    requests = raw["requests"]
    return Result(
        connections=connections,
        threads=threads,
        requests=requests,
        duration_s=round(duration_s, 3),
        rps=round(requests / duration_s, 1) if duration_s else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        mean_ms=round(raw["mean_us"] / 1000, 3),
        bytes_per_request=raw["bytes"] // requests if requests else 0,
        non_2xx=raw["status"],
        socket_errors={kind: raw[kind] for kind in ("connect", "read", "write", "timeout")},
    )
