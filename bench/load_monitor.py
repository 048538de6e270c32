"""What bench.load watches besides its own requests: the app process's resident memory (VmRSS from /proc, no
dependency; with its anonymous and file-backed parts and its thread count), that of the processes it started (the
embedded llama.cpp server), and how long the app's /health takes to answer, sampled about once a second on the load
generator's event loop."""
from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx


def status(pid: int) -> dict[str, float]:
    """From /proc/<pid>/status: the resident set (rss_mb), its anonymous part (anon_mb: heaps, what a leak grows)
    and its file-backed part (file_mb: mapped files such as model weights, paged in as they are read), in MB, and
    the thread count; empty once the process is gone."""
    wanted = {"VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb", "Threads": "threads"}
    found: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in wanted:
                number = int(value.split()[0])
                found[wanted[key]] = number if key == "Threads" else round(number / 1024, 1)
    except (OSError, ValueError, IndexError):
        return {}
    return found


def rss_mb(pid: int) -> float | None:
    """A process's resident set (VmRSS) in MB, None once it is gone."""
    return status(pid).get("rss_mb")


def descendants(pid: int) -> list[int]:
    """The process ids below `pid` (its children, theirs, ...), from /proc/<pid>/task/*/children."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(k) for k in task.read_text().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


@dataclass
class Sample:
    t_s: float                   # since the load started
    app_rss_mb: float | None     # the app's own process
    app_anon_mb: float | None    # its anonymous part (heaps)
    app_file_mb: float | None    # its file-backed part (mapped files)
    app_threads: int | None
    children_rss_mb: float       # the processes it started (the embedded LLM server), summed
    health_ms: float | None      # GET /health, None when it failed
    health_status: int | None    # its HTTP status, None on a transport error or timeout
    in_flight: int               # the sessions' requests under way


class Monitor:
    """Samples every `interval` s until stopped: `samples` grows as it runs. `in_flight` is read from the caller
    (a callable), so the memory can be set against the load."""

    def __init__(self, app_pid: int, root: str, started: float, in_flight, interval: float = 1.0,
                 health_timeout: float = 10.0) -> None:
        self.app_pid, self.root, self.started, self.in_flight = app_pid, root, started, in_flight
        self.interval, self.health_timeout = interval, health_timeout
        self.samples: list[Sample] = []

    async def _health(self, client: httpx.AsyncClient) -> tuple[float | None, int | None]:
        sent = time.perf_counter()
        try:
            resp = await client.get(f"{self.root}/health", timeout=self.health_timeout)
        except httpx.HTTPError:
            return None, None
        return (time.perf_counter() - sent) * 1000 if resp.status_code == 200 else None, resp.status_code

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient() as client:
            tick = time.perf_counter()
            while not stop.is_set():
                health_ms, code = await self._health(client)
                children = sum(r for p in descendants(self.app_pid) if (r := rss_mb(p)) is not None)
                app = status(self.app_pid)
                threads = app.get("threads")
                self.samples.append(Sample(round(time.perf_counter() - self.started, 2), app.get("rss_mb"),
                                           app.get("anon_mb"), app.get("file_mb"),
                                           None if threads is None else int(threads), round(children, 1),
                                           _round(health_ms), code, self.in_flight()))
                tick += self.interval
                # on an absolute schedule: a slow /health delays one sample, not all that follow
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(0.0, tick - time.perf_counter()))

    def as_dicts(self) -> list[dict]:
        return [asdict(s) for s in self.samples]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
