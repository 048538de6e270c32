"""The app as a real server process (`python app.py`, configured through its environment as an operator would),
and what a test watches while it works: /health's latency, polled from a thread, the process's resident memory
(VmRSS) and the bytes it holds in its temporary folder (upload copies, spooled request parts: files in the folder
and deleted ones it still has open), sampled from /proc."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.paths import ROOT
from tests.support.servers import free_port, stop_process, wait_until_ready


@dataclass
class AppProcess:
    base: str
    proc: subprocess.Popen
    tmp_dir: Path          # the process's TMPDIR: where uploads wait while they are ingested
    log: Path

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def temp_bytes(self) -> int:
        """Bytes in the process's TMPDIR: its files, and deleted files it still holds open (spooled uploads)."""
        total, seen = 0, set()
        for path in self.tmp_dir.rglob("*"):
            try:
                if path.is_file():
                    stat = path.stat()
                    seen.add(stat.st_ino)
                    total += stat.st_size
            except OSError:
                continue
        for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir():
            try:
                if os.readlink(fd).startswith(str(self.tmp_dir)):
                    stat = fd.stat()
                    if stat.st_ino not in seen:
                        seen.add(stat.st_ino)
                        total += stat.st_size
            except OSError:
                continue
        return total


@contextmanager
def app_process(tmp: Path, **settings: str | int | float) -> Iterator[AppProcess]:
    """`python app.py` on a free port with a fresh store in `tmp` and AUTH=off, plus `settings` (name: value, as
    the environment variables they are read from); stopped afterwards."""
    port = free_port()
    (tmp / "tmp").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": str(tmp / "data"),
           "QDRANT_PATH": str(tmp / "qdrant"), "QDRANT_URL": "", "AUTH": "off", "API_KEY": "",
           "TMPDIR": str(tmp / "tmp"), "LOG_LEVEL": "WARNING", "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_OFFLINE": "1", **{name.upper(): str(value) for name, value in settings.items()}}
    log = tmp / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=tmp, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    server = AppProcess(f"http://127.0.0.1:{port}", proc, tmp / "tmp", log)
    try:
        if not wait_until_ready(f"{server.base}/health", timeout=180, proc=proc):
            raise RuntimeError(f"the app did not start:\n{log.read_text(errors='replace')[-3000:]}")
        yield server
    finally:
        stop_process(proc)


@dataclass
class Watched:
    """What a watch saw: /health's slowest answer, the resident memory before and at its peak, the most bytes held
    in TMPDIR, and how long it ran."""
    health_max_s: float = 0.0
    health_polls: int = 0
    health_failures: list[str] = field(default_factory=list)
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    temp_peak_mb: float = 0.0
    seconds: float = 0.0

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_before_mb


@contextmanager
def watch(server: AppProcess, health_every_s: float = 0.25, sample_every_s: float = 0.02) -> Iterator[Watched]:
    """Poll /health and sample memory and TMPDIR while the block runs."""
    seen = Watched(rss_before_mb=server.rss_mb())
    seen.rss_peak_mb = seen.rss_before_mb
    stop = threading.Event()

    def poll_health() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    status = client.get(f"{server.base}/health").status_code
                    if status != 200:
                        seen.health_failures.append(f"status {status}")
                except httpx.HTTPError as err:
                    seen.health_failures.append(f"{type(err).__name__}: {err}")
                seen.health_max_s = max(seen.health_max_s, time.perf_counter() - started)
                seen.health_polls += 1
                stop.wait(health_every_s)

    def sample() -> None:
        while not stop.is_set():
            try:
                seen.rss_peak_mb = max(seen.rss_peak_mb, server.rss_mb())
                seen.temp_peak_mb = max(seen.temp_peak_mb, server.temp_bytes() / 1048576)
            except OSError:      # the process is gone: the test's request says why
                return
            stop.wait(sample_every_s)

    threads = [threading.Thread(target=poll_health, daemon=True), threading.Thread(target=sample, daemon=True)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        yield seen
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        seen.seconds = time.perf_counter() - started
