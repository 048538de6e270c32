"""Servers for tests: a free loopback port, waiting until a server answers, stopping a server's process, and an
ASGI app run on a real uvicorn server in a thread."""
from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(url: str, timeout: float = 60.0, *, status: int | None = None, interval: float = 0.1,
                     proc: subprocess.Popen | None = None) -> bool:
    """Poll GET `url` until it answers (with `status`, if given). False if `timeout` passes first or `proc` (the
    server's process, if any) exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            answer = httpx.get(url, timeout=5)
            if status is None or answer.status_code == status:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    return False


def stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Ask a server's process to end (SIGTERM); kill it if it has not within `timeout`."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def serve(app, port: int | None = None, ready_path: str = "/health") -> Iterator[str]:
    """Yield the base URL once `ready_path` answers (any status); stop the server afterwards."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_until_ready(f"{base}{ready_path}")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
