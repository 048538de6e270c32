"""Serving benchmark: the founding guide's "Ollama vs vLLM" table (tokens/s, first-token latency, requests/s, "1000
requests in ~40 s instead of ~600 s") measured for real, against any OpenAI-compatible endpoint and against our app
(its OpenAI-compatible /v1 and its Gradio chat), with the same prompts sent to every target.

    python -m bench.serve --targets llama=http://127.0.0.1:8001/v1 app=http://127.0.0.1:8000/v1#demo \\
                          gradio=gradio+http://127.0.0.1:8000/#demo [--levels 1,8,32,64] [--requests N]
    python -m bench.serve --requests 1000 --targets ...   # the guide's "1000 requests" line, per level
    python -m bench.serve --overhead                      # what the app adds, against a paced stub LLM
    python -m bench.serve --quick                         # the overhead mode, small: under a minute

A target is NAME=URL[#MODEL]. URL is an OpenAI /v1 base, and MODEL the model to ask (for our app: the space);
without #MODEL, the first one the endpoint lists at /v1/models. A URL written gradio+http://host:port/ drives the
app's Gradio chat there (api_name /chat, through gradio_client); MODEL is the space (default: the first space).
Direct LLM targets get the question alone as the user message (no retrieval): the difference between a direct
target and the app in front of the same LLM is what the app adds. Prompts: 20 built-in questions about the demo
corpus (Russian and English), or --questions FILE (JSONL with "question", e.g. ../shared/eval/dev.jsonl, or one
question per line).

For each concurrency level (default 1,8,32,64) each target gets --requests requests (default 2 x concurrency, at
least 8) with at most that many in flight, streamed, max_tokens --max-tokens (128), temperature 0, after one
unmeasured warm-up request. Reported: output tokens/s (completion tokens / the level's wall time; tokens from the
usage chunk, else content chunks), TTFT p50/p99 (request sent -> first non-empty content), inter-token latency
p50/p99 (gaps between content chunks, pooled), requests/s, the wall time of the level's requests, errors. Our app's
/metrics adds its mean retrieval, translation and first-token times per level.

--overhead (the default when no --targets are given) starts bench.stub_llm (N tokens at --token-ms per token, no
limit on parallel streams) and our app on it (bench.serve_app: a temporary store, --files demo documents in the
space "bench"), each in its own process, then measures side by side in one run: direct (the stub), app (/v1) and
gradio (the chat), and checks the targets of ../shared/BRIEF.md section 5 (PASS/MISS). The Gradio chat sends no
max_tokens (its answers are LLM_MAX_TOKENS long), so the app runs with LLM_MAX_TOKENS = --max-tokens; against a
remote app, set that yourself for a fair comparison. The overhead run asks only the built-in questions in the
documents' language (Russian): one in another language adds an LLM round trip, the translation, which is the LLM's
time and not the app's. The Gradio chat shows tokens in batches (every 50 ms at most), so its tokens are counted
by the app's /metrics. --only app (say) leaves out the other app path. --profile runs the app under cProfile (its
figures are then slower) and writes app.prof and profile.txt.

Writes serve.md, serve.json (every figure, per request, the command line, the machine) and serve_tokens.png /
serve_ttft.png to --out (default bench/results/serve-<timestamp>/)."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import result_folder
from bench.gradio_chat import GradioDriver
from bench.serve_load import (
    LevelResult,
    Target,
    first_model,
    openai_client,
    openai_request,
    process_cpu_s,
    raw_figures,
    run_level,
    summarize,
)
from bench.serve_metrics import app_metrics, metrics_delta
from bench.serve_report import checks_table, markdown_table, overhead_checks, plots

QUESTIONS = [
    "Сколько критических уязвимостей выявил аудит в первом квартале?",
    "How many critical vulnerabilities did the audit find?",
    "Какие системы были затронуты попыткой SQL-инъекции?",
    "Кого совет директоров назначил заместителем генерального директора?",
    "Who was appointed deputy CEO by the board in April?",
    "Какая текучесть кадров за первый квартал и укладывается ли она в норматив?",
    "What was the staff turnover in the first quarter?",
    "Какая доля обращений клиентов приходит по телефону?",
    "How many operators worked the hotline during the SQL-injection incident?",
    "Кто резервный подрядчик по модернизации системы безопасности?",
    "Какая доступность CRM была в первом квартале?",
    "С какой страны решили начинать международную экспансию?",
    "What frontend stack was suggested for the new payment system?",
    "Сколько патентов у банка по презентации об инновациях?",
    "До какой нормальной формы приводят схему базы данных?",
    "Which minimum iOS and Android versions will the mobile banking app support?",
    "Какой API-шлюз выбран для API-экосистемы?",
    "Кто отвечает за утверждение архитектуры?",
    "What API response time does the AI governance platform require?",
    "Какие цели у проекта MIG?",
]


def in_documents_language(questions: list[str]) -> list[str]:
    """The Russian questions: the demo documents are Russian, so the app makes no translation call for them (a
    question in another language adds one LLM round trip, shown apart as the app's translation time)."""
    return [q for q in questions if any("а" <= ch.lower() <= "я" for ch in q)]


def load_questions(path: Path | None) -> list[str]:
    if path is None:
        return list(QUESTIONS)
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    questions = [json.loads(ln)["question"] if ln.startswith("{") else ln for ln in lines]
    if not questions:
        raise SystemExit(f"{path} holds no question")
    return questions


def machine() -> dict[str, Any]:
    import os

    cpu = next((ln.split(":", 1)[1].strip() for ln in _read("/proc/cpuinfo").splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next((ln.split()[1] for ln in _read("/proc/meminfo").splitlines() if ln.startswith("MemTotal")), None)
    return {"cpu_count": os.cpu_count(), "cpu": cpu, "memory_gb": round(int(mem) / 2**20, 1) if mem else None,
            "load_average": os.getloadavg(), "platform": platform.platform(), "python": platform.python_version()}


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def requests_for(concurrency: int, args: argparse.Namespace) -> int:
    if args.requests:
        return args.requests
    return max(4, concurrency) if args.quick else max(8, 2 * concurrency)


async def measure(targets: list[Target], questions: list[str], args: argparse.Namespace,
                  pids: dict[str, int]) -> tuple[dict[str, dict[int, dict]], dict[str, dict[int, list[dict]]]]:
    """Every level, every target in turn (interleaved, so drift hits all alike): the summaries and the raw
    per-request figures."""
    summaries: dict[str, dict[int, dict]] = {t.name: {} for t in targets}
    raw: dict[str, dict[int, list[dict]]] = {t.name: {} for t in targets}
    drivers: dict[str, GradioDriver] = {}
    async with openai_client(max(args.levels), args.timeout, args.api_key) as client:
        try:
            for t in targets:
                if not t.model:
                    t.model = await first_model(client, t.url if t.kind == "openai" else f"{t.url}/v1")
                if t.kind == "gradio":
                    drivers[t.name] = GradioDriver(t, max(args.levels), args.top_k, args.api_key)
            send = {t.name: (drivers[t.name] if t.kind == "gradio" else
                             lambda p, t=t: openai_request(client, t, p, args.max_tokens)) for t in targets}
            roots = {t.name: t.url.removesuffix("/v1") for t in targets}
            roots = {n: r for n, r in roots.items() if await app_metrics(client, r) is not None}
            for t in targets:
                for i in range(args.warmup):
                    warm = await send[t.name](questions[i % len(questions)])
                    if not warm.ok:
                        print(f"[{t.name}] warm-up failed: {warm.error}", file=sys.stderr)
            for c in args.levels:
                for t in targets:
                    before = await app_metrics(client, roots[t.name]) if t.name in roots else None
                    cpu = {k: process_cpu_s(pid) for k, pid in pids.items()}
                    level: LevelResult = await run_level(t.name, send[t.name], questions, c, requests_for(c, args))
                    for k, pid in pids.items():
                        now, then = process_cpu_s(pid), cpu[k]
                        level.extra[f"{k}_cpu_s"] = None if now is None or then is None else round(now - then, 2)
                    if before is not None:
                        level.extra.update(metrics_delta(before, await app_metrics(client, roots[t.name])))
                    s = summaries[t.name][c] = summarize(level)
                    generated = level.extra.get("app_generated_tokens")
                    if t.kind == "gradio" and generated:   # the chat shows tokens in batches: count the app's
                        s["completion_tokens"] = int(generated)
                        s["tokens_per_s"] = round(generated / max(s["wall_s"], 1e-9), 2)
                        s["tokens_from"] = "app /metrics"
                    raw[t.name][c] = raw_figures(level)
                    print(f"[{t.name} @ {c}] {s['ok']}/{s['requests']} ok in {s['wall_s']:.1f} s: "
                          f"{s['tokens_per_s']} tok/s, TTFT p50 {s['ttft_p50_ms']} ms, errors {s['errors']}",
                          file=sys.stderr, flush=True)
        finally:
            for driver in drivers.values():
                driver.close()
    return summaries, raw


def run_overhead(args: argparse.Namespace, out: Path,
                 questions: list[str]) -> tuple[list[Target], dict, dict, dict[str, int]]:
    from bench.serve_app import app_process
    from bench.stub_llm import MODEL, stub_process

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp, \
            stub_process(args.token_ms, args.first_token_ms, max(1024, args.max_tokens), out / "stub.log") as stub, \
            app_process(stub[0], Path(tmp), "bench", args.files, MODEL, out / "app.prof" if args.profile else None,
                        log=out / "app.log", llm_max_tokens=args.max_tokens) as app:
        print(f"[overhead] stub at {stub[0]}, app at {app[0]} ready in {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)
        targets = [Target("direct", "openai", stub[0], MODEL), Target("app", "openai", f"{app[0]}/v1", "bench"),
                   Target("gradio", "gradio", app[0], "bench")]
        targets = [t for t in targets if t.name in args.only]
        pids = {"app": app[1].pid, "stub": stub[1].pid}
        summaries, raw = asyncio.run(measure(targets, questions, args, pids))
    return targets, summaries, raw, pids


def write_profile(prof: Path, out: Path) -> None:
    import io
    import pstats

    text = io.StringIO()
    stats = pstats.Stats(str(prof), stream=text)
    for key in ("tottime", "cumulative"):
        text.write(f"\n=== by {key} ===\n")
        stats.sort_stats(key).print_stats(40)
    (out / "profile.txt").write_text(text.getvalue())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--targets", nargs="+", type=Target.parse, default=[], metavar="NAME=URL[#MODEL]",
                        help="OpenAI /v1 bases, or gradio+http://host:port/ for the app's chat")
    parser.add_argument("--overhead", action="store_true", help="stub LLM + our app, side by side (default)")
    parser.add_argument("--quick", action="store_true", help="levels 1,8, few requests, 32 tokens, 3 documents")
    parser.add_argument("--levels", type=lambda s: sorted({int(x) for x in s.split(",")}), default=None,
                        help="concurrency levels, comma-separated (default 1,8,32,64)")
    parser.add_argument("--requests", type=int, default=None, help="requests per level (default 2 x level, >= 8)")
    parser.add_argument("--max-tokens", type=int, default=None, help="max_tokens per request (default 128)")
    parser.add_argument("--questions", type=Path, default=None, help="JSONL with 'question' or one per line")
    parser.add_argument("--top-k", type=int, default=None, help="the Gradio chat's top_k (default: its slider's)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured requests per target first (default 1)")
    parser.add_argument("--timeout", type=float, default=600.0, help="per request, s")
    parser.add_argument("--api-key", default=os.environ.get("QUADRATE_API_KEY", ""),
                        help="a key for the app's targets when it runs with AUTH on (default: $QUADRATE_API_KEY)")
    parser.add_argument("--out", type=Path, default=None, help="default bench/results/serve-<timestamp>/")
    stub = parser.add_argument_group("overhead mode")
    stub.add_argument("--token-ms", type=float, default=20.0, help="the stub's gap between tokens (default 20)")
    stub.add_argument("--first-token-ms", type=float, default=20.0, help="the stub's first-token delay (20)")
    stub.add_argument("--files", type=int, default=None, help="demo documents ingested (default 5, quick 3)")
    stub.add_argument("--profile", action="store_true", help="run the app under cProfile (slows it)")
    stub.add_argument("--only", type=lambda s: s.split(","), default=["direct", "app", "gradio"],
                      help="measure only these of direct,app,gradio (direct is always measured)")
    args = parser.parse_args(argv)
    args.overhead = args.overhead or not args.targets
    if args.overhead and args.targets:
        parser.error("--overhead brings its own targets; drop --targets")
    args.levels = args.levels or ([1, 8] if args.quick else [1, 8, 32, 64])
    args.max_tokens = args.max_tokens or (32 if args.quick else 128)
    args.files = args.files or (3 if args.quick else 5)
    args.only = ["direct", *(n for n in args.only if n != "direct")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp, out = result_folder(args.out, "serve")
    started = time.perf_counter()
    info = machine()
    questions = load_questions(args.questions)
    if args.overhead and args.questions is None:
        questions = in_documents_language(questions)
    if args.overhead:
        targets, summaries, raw, _ = run_overhead(args, out, questions)
        checks = overhead_checks(summaries, "direct", "app", "gradio")
    else:
        targets = args.targets
        summaries, raw = asyncio.run(measure(targets, questions, args, {}))
        checks = []
    table = markdown_table(summaries)
    command = "python -m bench.serve " + shlex.join(argv if argv is not None else sys.argv[1:])
    doc = [f"# bench.serve, {stamp}", "", f"`{command}`", "",
           f"{info['cpu_count']} CPUs ({info['cpu']}), {info['memory_gb']} GB; targets: "
           + ", ".join(f"{t.name} = {t.kind} {t.url} model {t.model}" for t in targets), "", table]
    if checks:
        doc += ["", "## Overhead of the app over the direct LLM (../shared/BRIEF.md section 5)", "",
                checks_table(checks)]
    print("\n".join(doc[4:]))
    (out / "serve.md").write_text("\n".join(doc) + "\n")
    pngs = plots(summaries, out, f"bench.serve on {info['cpu_count']} CPUs: " + ", ".join(summaries))
    if args.profile and (out / "app.prof").exists():
        write_profile(out / "app.prof", out)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "targets"}
    (out / "serve.json").write_text(json.dumps(
        {"command": command, "argv": sys.argv, "machine": info, "settings": settings, "prompts": questions,
         "targets": [vars(t) for t in targets], "wall_s": round(time.perf_counter() - started, 1),
         "summaries": summaries, "checks": checks, "requests": raw}, ensure_ascii=False, indent=1))
    print(f"\nwrote {out / 'serve.md'}, {out / 'serve.json'}, {', '.join(p.name for p in pngs)} "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
