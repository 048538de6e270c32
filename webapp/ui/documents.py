"""Documents panel: drag-and-drop multi-file upload with per-file progress, then the space's document list."""
from __future__ import annotations

import time
from pathlib import Path

import gradio as gr

from rag.ingest.readers import supported_suffixes
from rag.service import RagService
from rag.store import SpaceError

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
        rows: list[list] = []
        counts = {"ok": 0, "skipped": 0, "failed": 0}
        started = time.perf_counter()
        for index, path in enumerate(paths):
            name = Path(path).name
            progress((index, len(paths)), desc=f"Indexing {name}", unit="files")
            rows.append([name, "indexing…", "", "", "", ""])
            yield rows, f"Indexing {index + 1} of {len(paths)}: **{name}**", gr.update()
            try:
                result = service.ingest_files(space, [(name, Path(path))])[0]
            except SpaceError as err:
                yield rows, f"⚠️ {err}", gr.update()
                return
            counts[result.status] += 1
            rows[-1] = [result.file, result.status, result.pages or "", result.chunks, result.seconds,
                        result.reason]
            yield rows, f"Indexed {index + 1} of {len(paths)}", gr.update()
        elapsed = time.perf_counter() - started
        text = (f"**Done in {elapsed:.1f}s:** {counts['ok']} indexed, {counts['skipped']} unchanged or duplicate, "
                f"{counts['failed']} failed.")
        yield rows, text, document_rows(service, space)

    files.upload(on_upload, [files, selector], [results, summary, docs], api_name="upload",
                 show_progress="minimal")
    selector.change(lambda s: document_rows(service, s), [selector], [docs], api_name=False)
    return docs
