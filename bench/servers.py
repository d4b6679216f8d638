"""The processes under test: granian (Masthead, the Django ceiling) and nginx (a static file).

Each server runs in its own process group on 127.0.0.1 and a free port; leaving
`running()` (normally, on an error or on Ctrl-C) terminates the whole group,
then kills what is left. `PeakRss` samples the group's resident memory.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRANIAN_WORKERS = 2
# Threads per worker, as `make serve-prod` runs it. Each thread keeps its own database connection; granian's
# default for WSGI (half its backpressure: 256 per worker) opened more than PostgreSQL's 100 under load.
GRANIAN_THREADS = 4
NGINX_WORKERS = 2
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, whatever *_proxy says


class ServerError(Exception):
    """A server did not start or answer; the message is one line."""


def free_port() -> int:
    for _ in range(100):
        port = random.randrange(9000, 60000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ServerError("no free port between 9000 and 60000")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


class Server:
    def __init__(self, name: str, argv: list[str], *, env: dict[str, str] | None, log: Path, port: int):
        self.name, self.argv, self.env, self.log, self.port = name, argv, env, log, port
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/", timeout: float = 60) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.process.returncode}: {self._last_log_line()}")
            try:
                with _OPENER.open(self.base_url + ready_path, timeout=5):
                    return
            except urllib.error.HTTPError:
                return  # it answers; whether the answer is right is the scenario's check
            except OSError:
                time.sleep(0.2)
        raise ServerError(f"{self.name} did not answer on port {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL to what is left after 10 s."""
        if self.process is None:
            return
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            if not self._alive():
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and self._alive():
                time.sleep(0.05)
        self.process.wait()

    def _alive(self) -> bool:
        return self.process is not None and (self.process.poll() is None or bool(self.pids()))

    def pids(self) -> list[int]:
        """Every live process of the server's group (the master and its workers)."""
        if self.process is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[2]) == self.process.pid and fields[0] != "Z":  # pgid, state
                    found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, timeout: float = 120) -> None:
        """Return once the server has used no CPU for 0.3 s: wrk leaves requests behind when it stops."""
        deadline = time.monotonic() + timeout
        last, quiet_since = self.cpu_seconds(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.cpu_seconds()
            if now - last > 0.005:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= 0.3:
                return

    def rss_bytes(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                continue
        return total

    def _last_log_line(self) -> str:
        try:
            lines = [line for line in self.log.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "no log"
        errors = [line for line in lines if not line.startswith((" ", "[INFO]", "[WARNING]"))]
        return (errors or lines or ["no output"])[-1][:300]


@contextmanager
def running(server: Server, ready_path: str = "/") -> Iterator[Server]:
    try:
        server.start(ready_path)
        yield server
    finally:
        server.stop()


class PeakRss:
    """The highest summed RSS of a server's processes, sampled every 0.2 s while inside the block."""

    def __init__(self, server: Server, interval: float = 0.2):
        self.server, self.interval = server, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.server.rss_bytes())
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def granian(name: str, app: str, env: dict[str, str], workdir: Path) -> Server:
    """granian as `make serve-prod` runs it: WSGI, two workers."""
    port = free_port()
    argv = [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", str(GRANIAN_WORKERS)]
    argv += ["--blocking-threads", str(GRANIAN_THREADS)]
    argv += ["--host", "127.0.0.1", "--port", str(port), app]
    return Server(name, argv, env=env, log=workdir / f"{name}.log", port=port)


def nginx(root: Path, workdir: Path) -> Server:
    """nginx serving `root` as static files, with its own configuration, pid and logs in `workdir`."""
    binary = nginx_binary()
    if binary is None:
        raise ServerError("nginx not found (apt-get install -y nginx)")
    port = free_port()
    prefix = workdir / "nginx"
    prefix.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read files in a root-only temp dir
    temp_paths = "".join(
        f"    {kind}_temp_path {prefix / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes {NGINX_WORKERS};\ndaemon off;\nmaster_process on;\n"
        f"pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n    access_log off;\n    sendfile on;\n    tcp_nopush on;\n"
        "    keepalive_requests 1000000;\n    types { text/html html; }\n    default_type text/html;\n"
        f"{temp_paths}    server {{\n        listen 127.0.0.1:{port};\n        root {root};\n    }}\n}}\n"
    )
    argv = [binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(prefix / "nginx.conf")]
    return Server("nginx", argv, env=None, log=prefix / "stdout.log", port=port)
