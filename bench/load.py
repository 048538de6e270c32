"""Load benchmark (issue 15): many concurrent chat sessions with follow-ups for minutes, against the app's Gradio chat
and its OpenAI endpoint, first on the paced stub LLM, then on the real embedded llama.cpp server; errors, time to
first token over time and the app's memory over time.

    python -m bench.load                     # stub: 64 sessions x 5 min, then llama.cpp: 2 sessions x 5 min
    python -m bench.load --quick             # the same two phases, 60 s each (64 stub sessions still)
    python -m bench.load --llm stub --sessions 32 --minutes 2 [--out DIR]
    python -m bench.load --llm llama --llama-sessions 4 --llama-max-tokens 48
    python -m bench.load --report bench/results/load-<timestamp>   # figures and plots again from its load.json

Each phase starts its own processes as bench.serve does: bench.stub_llm (stub phase) and bench.serve_app (our app on
a temporary store with --files demo documents in the space "load"; in the llama phase on the embedded defaults,
so the app starts llama.cpp itself). A session (bench/load_sessions.py) asks a question, then follow-ups carrying
the conversation, with 0.5-2 s of think time, a new conversation every --turns turns; half the sessions use the
OpenAI /v1/chat/completions stream, half the Gradio chat (a browser session each). One unmeasured question per
surface goes first (cold caches); turns under way when the time is up are let finish. The llama phase runs
--llama-sessions (default 2: the server answers one stream at a time, the rest queue) with short answers
(--llama-max-tokens 64) so they finish.

Reported per phase (bench/load_stats.py): errors by kind (HTTP status, an error event, an empty answer, a broken
stream, a timeout), TTFT p50/p99 per window (10 s in --quick, else 30 s) for both surfaces and each, the app
process's RSS (/proc VmRSS, with its anonymous and file-backed parts and its threads) and /health's response time
each second, and the RSS growth after warm-up (the first 20%): the median of the last window against the median of
the first window after warm-up, and the slope after warm-up in MB/min. The stub phase checks
the targets: zero errors and RSS growth under 10% (set for 64 sessions over 5 minutes), PASS or MISS. Writes
load.md, load.json (every figure, per-window series, each turn, each sample, the command line, the machine) and
load_<phase>.png to --out (default bench/results/load-<timestamp>/).

Why an asyncio client and not locust: what matters here is the first token of a stream, and locust's statistics
are per request (one response time when the response ends); a TTFT needs custom events fired from inside a
hand-written streaming client anyway, and locust's gevent monkey-patching is untried under the clients we have.
The load generator shares 2 cores with the app, so its own cost decides what is measured: gradio_client (threads
that poll every 50 ms, a deep copy of the whole chat per update) took 14-17 CPU s per 30 s for 32 Gradio chats,
and 1.8 cores in a 64-session run, starving the app; the asyncio client of bench/gradio_chat.py (the browser's
own protocol, one coroutine a chat) took 2.6 CPU s for the same load, and times each update as it arrives. Both
surfaces run on one event loop (bench/load_sessions.py), and the client's CPU time is reported."""
from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import result_folder
from bench.load_report import checks_table, phases_table, plot, windows_table
from bench.load_sessions import SURFACES, Plan, drive
from bench.load_stats import checks, summarize
from bench.serve import QUESTIONS, in_documents_language, machine

SPACE = "load"


def run_phase(name: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Starts the LLM (the stub, or none: the app starts llama.cpp) and the app, runs the sessions, stops both;
    the phase's settings, figures, turns and samples."""
    from bench.serve_app import app_process
    from bench.stub_llm import MODEL, stub_process

    stub = name == "stub"
    sessions = args.sessions if stub else args.llama_sessions
    max_tokens = args.max_tokens if stub else args.llama_max_tokens
    plan = Plan(sessions, args.minutes * 60, max_tokens, args.turns, surfaces=args.surfaces, timeout_s=args.timeout,
                top_k=args.top_k)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, ExitStack() as stack:
        url, model = "", ""
        if stub:
            url, _ = stack.enter_context(stub_process(args.token_ms, args.first_token_ms, max(1024, max_tokens),
                                                      out / "stub.log"))
            model = MODEL
        root, app = stack.enter_context(app_process(url, Path(tmp), SPACE, args.files, model, timeout=600,
                                                    log=out / f"app-{name}.log", llm_max_tokens=max_tokens))
        print(f"[{name}] app at {root} (pid {app.pid}) ready in {time.perf_counter() - started:.0f} s; "
              f"{sessions} sessions for {args.minutes:g} min", file=sys.stderr, flush=True)
        outcome = asyncio.run(drive(plan, root, app.pid, SPACE, args.questions))
    phase = {"llm": "bench.stub_llm" if stub else "embedded llama.cpp (app defaults)", "sessions": sessions,
             "minutes": args.minutes, "max_tokens": max_tokens, "turns_per_conversation": args.turns,
             "think_s": list(plan.think_s), "window_s": args.window, "surfaces": list(plan.surfaces),
             "wall_s": round(outcome.wall_s, 1), "client_cpu_s": round(outcome.client_cpu_s, 1),
             "warmup_errors": outcome.warmup_errors, "turns": outcome.records, "samples": outcome.samples}
    s = figure(name, phase)["summary"]
    print(f"[{name}] {s['turns']} turns, {s['errors']} errors, TTFT p50 {s['ttft']['all']['p50_ms']} ms, "
          f"RSS growth {s['rss_growth']['growth_pct']} %", file=sys.stderr, flush=True)
    return phase


def figure(name: str, phase: dict[str, Any]) -> dict[str, Any]:
    """A phase's summary and (on the stub) its targets, from its turns and samples, into `phase`."""
    phase["summary"] = summarize(phase["turns"], phase["samples"], phase["minutes"] * 60, phase["window_s"])
    phase["checks"] = checks(phase["summary"], phase["sessions"], phase["minutes"]) if name == "stub" else []
    return phase


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parts = (__doc__ or "").split("\n\n")
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=parts[0],
                                     epilog="\n\n".join(parts[1:]), formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--llm", choices=["stub", "llama", "both"], default="both",
                        help="which LLM: the stub, the embedded llama.cpp, or both in turn (default)")
    parser.add_argument("--sessions", type=int, default=64, help="concurrent sessions on the stub (default 64)")
    parser.add_argument("--minutes", type=float, default=None, help="per phase (default 5; --quick 1)")
    parser.add_argument("--quick", action="store_true", help="60 s per phase, 10 s windows")
    parser.add_argument("--llama-sessions", type=int, default=2,
                        help="concurrent sessions on llama.cpp (default 2: it streams one answer at a time)")
    parser.add_argument("--max-tokens", type=int, default=128, help="answer length on the stub (default 128)")
    parser.add_argument("--llama-max-tokens", type=int, default=64, help="answer length on llama.cpp (default 64)")
    parser.add_argument("--turns", type=int, default=4, help="turns per conversation: a question + follow-ups (4)")
    parser.add_argument("--surfaces", type=lambda s: tuple(s.split(",")), default=SURFACES,
                        help="openai,gradio (default: both, alternating by session)")
    parser.add_argument("--window", type=float, default=None, help="TTFT/RSS window, s (default 30; --quick 10)")
    parser.add_argument("--files", type=int, default=5, help="demo documents ingested (default 5)")
    parser.add_argument("--top-k", type=int, default=None, help="the Gradio chat's top_k (default: its slider's)")
    parser.add_argument("--token-ms", type=float, default=20.0, help="the stub's gap between tokens (default 20)")
    parser.add_argument("--first-token-ms", type=float, default=20.0, help="the stub's first-token delay (20)")
    parser.add_argument("--timeout", type=float, default=600.0, help="per turn, s (default 600)")
    parser.add_argument("--out", type=Path, default=None, help="default bench/results/load-<timestamp>/")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                        help="no run: the figures, tables and plots again from DIR/load.json's turns and samples")
    args = parser.parse_args(argv)
    if bad := set(args.surfaces) - set(SURFACES):
        parser.error(f"unknown surface {', '.join(sorted(bad))}: use openai, gradio")
    if min(args.sessions, args.llama_sessions, args.turns) < 1:
        parser.error("--sessions, --llama-sessions and --turns must be at least 1")
    args.minutes = args.minutes or (1.0 if args.quick else 5.0)
    args.window = args.window or (10.0 if args.quick or args.minutes <= 1 else 30.0)
    args.phases = ["stub", "llama"] if args.llm == "both" else [args.llm]
    args.questions = in_documents_language(QUESTIONS)
    return args


def write(out: Path, data: dict[str, Any]) -> list[Path]:
    """Prints the tables and writes load.md, the PNGs and load.json of a run into `out`."""
    info, phases = data["machine"], data["phases"]
    brief = {name: {k: v for k, v in p.items() if k not in ("turns", "samples")} for name, p in phases.items()}
    doc = [f"# bench.load, {data['stamp']}", "", f"`{data['command']}`", "",
           f"{info['cpu_count']} CPUs ({info['cpu']}), {info['memory_gb']} GB; load average at the start "
           f"{', '.join(f'{x:.2f}' for x in info['load_average'])}", "", phases_table(brief)]
    for name, p in brief.items():
        doc += ["", windows_table(name, p["summary"])]
    data["checks"] = [c for p in brief.values() for c in p["checks"]]
    if data["checks"]:
        doc += ["", checks_table(data["checks"])]
    print("\n".join(doc[4:]))
    (out / "load.md").write_text("\n".join(doc) + "\n")
    pngs = [plot(name, p, p["samples"], out,
                 f"bench.load, {name}: {p['sessions']} sessions × {p['minutes']:g} min on {info['cpu_count']} CPUs")
            for name, p in phases.items()]
    (out / "load.json").write_text(json.dumps(data, ensure_ascii=False, indent=1))
    return pngs


def main(argv: list[str] | None = None) -> int:
    started, args, info = time.perf_counter(), parse_args(argv), machine()
    if args.report is not None:   # figures, tables and plots again from a run's turns and samples
        data = json.loads((args.report / "load.json").read_text())
        data.setdefault("stamp", args.report.name.removeprefix("load-"))
        for name, phase in data["phases"].items():
            figure(name, phase)
        write(args.report, data)
        return 0
    stamp, out = result_folder(args.out, "load")
    command = "python -m bench.load " + shlex.join(argv if argv is not None else sys.argv[1:])
    phases = {name: run_phase(name, args, out) for name in args.phases}
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    pngs = write(out, {"command": command, "stamp": stamp, "argv": sys.argv, "machine": info, "settings": settings,
                       "wall_s": round(time.perf_counter() - started, 1), "phases": phases})
    print(f"\nwrote {out / 'load.md'}, {out / 'load.json'}, {', '.join(p.name for p in pngs)} "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
