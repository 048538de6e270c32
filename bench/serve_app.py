"""Our app as a benchmark target: built the way app.py builds it (settings -> build_service -> create_app -> one
uvicorn server), on a temporary embedded store, pointed at an LLM endpoint, with a few demo-corpus documents ingested
into one space before it starts serving. Runs in a child process, so the load generator never shares its GIL.

    python -m bench.serve_app --port 8000 --llm-base-url http://127.0.0.1:8001/v1 --data /tmp/x [--space bench]
                              [--files 5] [--llm-max-tokens 128] [--profile app.prof]

--profile runs the server under cProfile (the event loop's thread) and writes the stats when it stops (SIGTERM)."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import SHARED
from bench.stub_llm import child_process, free_port

CORPUS = Path(os.environ.get("QC_SHARED", SHARED)) / "corpus" / "quadrate" / "docs"   # QC_SHARED: as in tests/
# the sources of the first dev-set questions: protocols, in Russian (English questions are translated for retrieval)
DEFAULT_FILES = ("protocols/protocol_001_audit_committee_meeting.txt", "protocols/protocol_002_incident_response.txt",
                 "protocols/protocol_004_board_meeting.txt", "protocols/protocol_007_hr_committee.txt",
                 "protocols/protocol_010_customer_service.txt", "email_correspondence/"
                 "email_thread_002_security_incident.txt", "presentations/presentation_001_quarterly_report.txt")


def corpus_files(count: int) -> list[Path]:
    files = [CORPUS / f for f in DEFAULT_FILES if (CORPUS / f).exists()]
    if len(files) < count:
        files += [p for p in sorted(CORPUS.rglob("*.txt")) if p not in files]
    return files[:count]


def serve(port: int, llm_base_url: str, llm_model: str, data: Path, space: str, files: int,
          profile: Path | None, llm_max_tokens: int | None = None) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import uvicorn

    from app import create_app
    from config.logs import configure_logging
    from config.settings import load_settings
    from rag import build_service

    overrides = {"llm_max_tokens": llm_max_tokens} if llm_max_tokens else {}
    # no abstention gate: the benchmark's questions cover the whole demo corpus while only `files` of it are
    # indexed, and every question is to reach the LLM (serving is measured, not whether the space holds the answer)
    settings = load_settings(env_file=None, qdrant_path=str(data / "qdrant"), qdrant_url="", port=port,
                             llm_base_url=llm_base_url, llm_model=llm_model, min_coverage=0.0, **overrides)
    configure_logging(settings)
    service = build_service(settings)
    started = time.perf_counter()
    paths = corpus_files(files)
    results = service.ingest_files(space, [(p.name, p) for p in paths])
    print(f"[serve_app] ingested {sum(r.status == 'ok' for r in results)}/{len(paths)} files into {space!r} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    app = create_app(settings, service)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level=settings.log_level.lower(),
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    if profile is None:
        server.run()
        return
    import cProfile

    profiler = cProfile.Profile()
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    profiler.enable()
    try:
        server.run()
    finally:
        profiler.disable()
        profiler.dump_stats(str(profile))
        print(f"[serve_app] profile written to {profile}", file=sys.stderr, flush=True)


@contextmanager
def app_process(llm_base_url: str, data: Path, space: str = "bench", files: int = 5, llm_model: str = "",
                profile: Path | None = None, timeout: float = 180.0, log: Path | None = None,
                llm_max_tokens: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """The app in a child process on a free port with `files` corpus documents in `space`; yields (its base URL,
    the process) once it serves (it ingests before it starts serving)."""
    port = free_port()
    args = ["bench.serve_app", "--port", str(port), "--llm-base-url", llm_base_url, "--data", str(data),
            "--space", space, "--files", str(files)]
    if llm_model:
        args += ["--llm-model", llm_model]
    if profile is not None:
        args += ["--profile", str(profile)]
    if llm_max_tokens:
        args += ["--llm-max-tokens", str(llm_max_tokens)]
    with child_process(args, f"http://127.0.0.1:{port}/v1/models", timeout, log) as proc:
        yield f"http://127.0.0.1:{port}", proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_app", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--llm-base-url", required=True)
    parser.add_argument("--llm-model", default="")
    parser.add_argument("--data", type=Path, required=True, help="folder for the embedded store")
    parser.add_argument("--space", default="bench")
    parser.add_argument("--files", type=int, default=5, help="demo-corpus documents to ingest (default 5)")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here on exit")
    parser.add_argument("--llm-max-tokens", type=int, default=None,
                        help="LLM_MAX_TOKENS: the answer length of the Gradio chat (it sends no max_tokens)")
    args = parser.parse_args(argv)
    serve(args.port, args.llm_base_url, args.llm_model, args.data, args.space, args.files, args.profile,
          args.llm_max_tokens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
