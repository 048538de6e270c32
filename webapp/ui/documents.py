"""Documents panel: drag-and-drop multi-file upload with per-file progress, then the space's document list."""
from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import gradio as gr

from rag.ingest.readers import supported_suffixes
from rag.service import RagService

RESULT_COLUMNS = ["file", "status", "pages", "chunks", "seconds", "details"]
DOC_COLUMNS = ["file", "type", "pages", "chunks", "size KB", "added"]


def document_rows(service: RagService, space: str | None) -> list[list]:
    if not space:
        return []
    return [[d.file_name, d.file_type, d.pages or "", d.chunks, round(d.size / 1024, 1),
             time.strftime("%Y-%m-%d %H:%M", time.localtime(d.added))] for d in service.documents(space)]


def build_documents(service: RagService, selector: gr.Dropdown):
    gr.Markdown(f"Drop files here (supported: {' '.join(supported_suffixes())}). Each file is indexed into the "
                "selected space; unreadable files are reported and skipped.")
    files = gr.File(file_count="multiple", label="Drop files", elem_id="upload-files", height=140)
    results = gr.Dataframe(headers=RESULT_COLUMNS, label="Upload results", interactive=False, wrap=True,
                           elem_id="upload-results")
    summary = gr.Markdown(elem_id="upload-summary")
    docs = gr.Dataframe(headers=DOC_COLUMNS, label="Documents in this space", interactive=False, wrap=True,
                        elem_id="documents-table")

    def on_upload(paths: list[str] | None, space: str | None, progress=gr.Progress()):
        if not paths:
            return
        if not space:
            yield [], "⚠️ Create or pick a space first.", gr.update()
            return
        names = [Path(p).name for p in paths]
        rows = [[name, "waiting", "", "", "", ""] for name in names]
        events: queue.Queue = queue.Queue()
        outcome: dict = {}

        def work() -> None:
            try:
                outcome["results"] = service.ingest_files(space, list(zip(names, map(Path, paths))),
                                                          lambda kind, info: events.put((kind, info)))
            except Exception as err:  # e.g. the space's embedder differs: say so instead of failing silently
                outcome["error"] = str(err)
            finally:
                events.put(("finished", {}))

        started = time.perf_counter()
        threading.Thread(target=work, daemon=True, name="ui-upload").start()
        yield rows, f"Indexing {len(paths)} file(s)…", gr.update()
        while True:
            kind, info = events.get()
            if kind == "finished":
                break
            index = info.get("index", 0) - 1
            if kind == "file":
                rows[index][1] = "indexing…"
                progress((index, len(paths)), desc=f"Indexing {names[index]}", unit="files")
            elif kind == "chunks":
                row = next((r for r in rows if r[1] == "indexing…"), None)
                if row is not None:
                    row[3] = info["done"]
            elif kind == "result":
                r = info["result"]
                rows[index] = [r.file, r.status, r.pages or "", r.chunks, r.seconds,
                               "; ".join([r.reason] * bool(r.reason) + r.warnings[:2])]
            yield rows, f"Indexed {sum(r[1] in ('ok', 'skipped', 'failed') for r in rows)} of {len(paths)}", \
                gr.update()
        if "error" in outcome:
            yield rows, f"⚠️ {outcome['error']}", gr.update()
            return
        counts = {k: sum(r.status == k for r in outcome["results"]) for k in ("ok", "skipped", "failed")}
        text = (f"**Done in {time.perf_counter() - started:.1f}s:** {counts['ok']} indexed, {counts['skipped']} "
                f"unchanged or duplicate, {counts['failed']} failed.")
        yield rows, text, document_rows(service, space)

    files.upload(on_upload, [files, selector], [results, summary, docs], api_name="upload",
                 show_progress="minimal")
    selector.change(lambda s: document_rows(service, s), [selector], [docs], api_name=False)
    return docs
