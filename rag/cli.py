"""Command line: `python -m rag.cli index --dir DIR --space NAME`, `ask`, `spaces`, `docs`, `delete`, `feedback`,
`users` and `keys` (rag/cli_access.py).

It opens the same store as the app (QDRANT_PATH), so in local mode run it while the app is stopped, or point both at
a Qdrant server (QDRANT_URL)."""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from config.settings import SettingsError, load_settings
from rag import (
    AnswerDone,
    AnswerFailed,
    ChunksWritten,
    FileDone,
    IngestEvent,
    RagError,
    RagService,
    Token,
    build_service,
    supported_suffixes,
)
from rag.cli_access import add_parsers as add_access_parsers

console = Console(stderr=True)
_SOURCES = {"ru": ("Источники", "стр."), "en": ("Sources", "p.")}   # the terminal's labels


def _service(need_llm: bool) -> RagService:
    return build_service(load_settings(), start_llm=need_llm)


def collect_files(folder: Path) -> list[Path]:
    """Every regular file below `folder` (hidden ones skipped), sorted; unsupported types are reported later."""
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
    return files


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """"i/N" (0 <= i < N) -> (i, N); None for no sharding. ValueError for anything else."""
    if not text:
        return None
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and 0 <= int(index) < int(count)):
        raise ValueError(f"--shard must be i/N with 0 <= i < N, got {text!r}")
    return int(index), int(count)


def in_shard(relative_path: str, shard: tuple[int, int] | None) -> bool:
    """Whether a file (by its path below the indexed folder) belongs to the shard: a stable hash of the path, so N
    jobs each take their part of a folder, and a failed job's part is the same when it runs again."""
    if shard is None:
        return True
    digest = hashlib.sha256(relative_path.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shard[1] == shard[0]


def cmd_index(args) -> int:
    folder = Path(args.dir)
    if not folder.is_dir():
        console.print(f"[red]not a folder: {folder}[/red]")
        return 2
    try:
        shard = parse_shard(args.shard)
    except ValueError as err:
        console.print(f"[red]{err}[/red]")
        return 2
    files = [p for p in collect_files(folder) if in_shard(str(p.relative_to(folder)), shard)]
    service = _service(need_llm=False)
    started = time.perf_counter()
    bar = tqdm(total=len(files), unit="file", desc=f"indexing into {args.space}", file=sys.stderr)
    chunks_total = 0

    def progress(event: IngestEvent) -> None:
        nonlocal chunks_total
        if isinstance(event, ChunksWritten):
            chunks_total += event.added
            bar.set_postfix(chunks=chunks_total, file=event.file[-30:])
        elif isinstance(event, FileDone):
            bar.update(1)

    try:
        pairs = [(str(p.relative_to(folder)), p) for p in files]
        results = service.ingest_files(args.space, pairs, progress)
    finally:
        bar.close()
        service.close()
    elapsed = time.perf_counter() - started
    table = Table(title=f"space {args.space!r}: {len(files)} files in {elapsed:.1f}s")
    for column in ("file", "status", "pages", "chunks", "seconds", "reason"):
        table.add_column(column)
    colors = {"ok": "green", "skipped": "yellow", "failed": "red"}
    for r in results:
        details = "; ".join([r.reason] * bool(r.reason) + r.warnings[:2])
        table.add_row(r.file, f"[{colors[r.status]}]{r.status}[/]", str(r.pages or ""), str(r.chunks),
                      f"{r.seconds:.2f}", details)
    console.print(table)
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    console.print(f"ok {counts['ok']}, skipped {counts['skipped']}, failed {counts['failed']}; "
                  f"{chunks_total} chunks; {elapsed:.1f}s")
    if args.json:
        print(json.dumps({"seconds": round(elapsed, 2), **counts, "chunks": chunks_total,
                          "files": [r.model_dump(mode="json") for r in results]}, ensure_ascii=False))
    return 0


def cmd_ask(args) -> int:
    """Print the streamed answer and its sources; exit 1 when no complete answer came (the reason on stderr)."""
    service = _service(need_llm=True)
    try:
        if args.json:
            answer = asyncio.run(service.ask(args.space, args.question, top_k=args.top_k))
            out = {"answer": answer.answer,
                   "sources": [{"file": s.file, "page": s.page, "score": s.score, "text": s.text}
                               for s in answer.sources]}
            if answer.error:
                out.update(error=answer.error, error_code=answer.error_code)
            print(json.dumps(out, ensure_ascii=False, indent=1))
            return 1 if answer.error_code else 0

        async def stream() -> int:
            async for event in service.astream(args.space, args.question, top_k=args.top_k):
                if isinstance(event, Token):
                    print(event.text, end="", flush=True)
                elif isinstance(event, AnswerFailed):
                    console.print(f"[red]{event.code}: {event.detail}[/red]")
                elif isinstance(event, AnswerDone):
                    a = event.answer
                    heading, page = _SOURCES[a.language]
                    shown = [s for s in a.sources if s.n in a.cited] or a.sources
                    lines = [f"[{s.n}] {s.file}" + (f", {page} {s.page}" if s.page else "") for s in shown]
                    print(f"\n\n{heading}:\n" + "\n".join(lines) if lines else "")
                    return 1 if a.error_code else 0
            return 1

        return asyncio.run(stream())
    finally:
        service.close()


def cmd_spaces(args) -> int:
    service = _service(need_llm=False)
    try:
        rows = [{"name": s.name, "documents": len(service.documents(s.name)), "chunks": service.count_chunks(
            s.name), "embed_model": s.embed_model} for s in service.list_spaces()]
    finally:
        service.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['name']}\t{row['documents']} docs\t{row['chunks']} chunks\t{row['embed_model']}")
    return 0


def cmd_docs(args) -> int:
    service = _service(need_llm=False)
    try:
        docs = service.documents(args.space)
    finally:
        service.close()
    table = Table(title=f"space {args.space!r}: {len(docs)} documents")
    for column in ("name", "type", "pages", "chunks", "size", "added"):
        table.add_column(column)
    for d in docs:
        added = time.strftime("%Y-%m-%d %H:%M", time.localtime(d.added))
        table.add_row(d.name, d.file_type, str(d.pages or ""), str(d.chunks), _size(d.size), added)
    Console(width=200, stderr=args.json).print(table)    # with --json, stdout holds the JSON alone
    if args.json:
        print(json.dumps([d.model_dump(mode="json") for d in docs], ensure_ascii=False))
    return 0


def _size(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{size / 1024:.1f} KB"


def cmd_reindex(args) -> int:
    service = _service(need_llm=False)
    bar = tqdm(unit="chunk", desc=f"re-indexing {args.space}", file=sys.stderr)

    def progress(event: IngestEvent) -> None:
        if isinstance(event, ChunksWritten):
            bar.update(event.done - bar.n)

    try:
        report = service.reindex(args.space, progress)
    finally:
        bar.close()
        service.close()
    print(report.model_dump_json())
    return 0


def cmd_delete(args) -> int:
    service = _service(need_llm=False)
    try:
        if args.doc:
            n = service.delete_document(args.space, args.doc)
            print(f"deleted {n} document(s) named {args.doc!r}")
        else:
            service.delete_space(args.space)
            print("deleted")
    finally:
        service.close()
    return 0


def cmd_feedback(args) -> int:
    """Readers' ratings of a space's answers, as eval-set items (JSONL: one per line; json: one array)."""
    wanted = {"up": 1, "down": -1}.get(args.rating)
    service = _service(need_llm=False)
    try:
        items = [f.as_eval_item() for f in service.feedback(args.space) if wanted is None or f.rating == wanted]
    finally:
        service.close()
    if args.format == "json":
        print(json.dumps(items, ensure_ascii=False, indent=1))
    else:
        for item in items:
            print(json.dumps(item, ensure_ascii=False))
    console.print(f"{len(items)} rated answer(s) from space {args.space!r}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag.cli", description="Quadrate Chat command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help=f"index a folder ({', '.join(supported_suffixes())})")
    p.add_argument("--dir", required=True)
    p.add_argument("--space", required=True)
    p.add_argument("--json", action="store_true", help="also print a JSON summary on stdout")
    p.add_argument("--shard", help="i/N: only the files whose path hash falls in shard i of N (0-based), for N "
                                   "parallel jobs on one shared store (a Kubernetes Indexed Job)")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("ask", help="ask a question in a space")
    p.add_argument("--space", required=True)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("question")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("spaces", help="list spaces")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_spaces)
    p = sub.add_parser("docs", help="list the documents of a space")
    p.add_argument("--space", required=True)
    p.add_argument("--json", action="store_true", help="also print them as JSON on stdout")
    p.set_defaults(func=cmd_docs)
    p = sub.add_parser("reindex", help="re-embed a space with the current embedder (after changing EMBED_MODEL)")
    p.add_argument("--space", required=True)
    p.set_defaults(func=cmd_reindex)
    p = sub.add_parser("delete", help="delete a document (--doc) or a whole space")
    p.add_argument("--space", required=True)
    p.add_argument("--doc")
    p.set_defaults(func=cmd_delete)
    p = sub.add_parser("feedback", help="export readers' ratings of answers in the eval-set format")
    p.add_argument("--space", required=True)
    p.add_argument("--format", choices=("jsonl", "json"), default="jsonl")
    p.add_argument("--rating", choices=("up", "down", "all"), default="all")
    p.set_defaults(func=cmd_feedback)
    add_access_parsers(sub, _with_service)
    return parser


def _with_service(command):
    """A command that gets the service (without the LLM) and closes it after."""
    def run(args) -> int:
        service = _service(need_llm=False)
        try:
            return command(service, args)
        finally:
            service.close()
    return run


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as err:
        console.print(str(err))
        return 2
    except RagError as err:
        console.print(f"[red]{err}[/red]")
        return 2


if __name__ == "__main__":
    sys.exit(main())
