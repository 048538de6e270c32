"""Documents panel: drag-and-drop multi-file upload with per-file progress, then the space's document list."""
from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import gradio as gr

from rag import ChunksWritten, DocumentNotFound, FileDone, FileStarted, RagService, SpaceNotFound, supported_suffixes
from webapp.ui.safe_text import md_literal

RESULT_COLUMNS = ["file", "status", "pages", "chunks", "seconds", "details"]
DOC_COLUMNS = ["file", "type", "pages", "chunks", "size KB", "added"]


def document_rows(service: RagService, space: str | None) -> list[list]:
    try:
        docs = service.documents(space) if space else []
    except SpaceNotFound:  # deleted meanwhile (by another user)
        docs = []
    return [[d.name, d.file_type, d.pages or "", d.chunks, round(d.size / 1024, 1),
             time.strftime("%Y-%m-%d %H:%M", time.localtime(d.added))] for d in docs]


def build_documents(service: RagService, selector: gr.Dropdown):
    gr.Markdown(f"Drop files here (supported: {' '.join(supported_suffixes())}). Each file is indexed into the "
                "selected space; unreadable files are reported and skipped.")
    files = gr.File(file_count="multiple", label="Drop files", elem_id="upload-files", height=140)
    results = gr.Dataframe(headers=RESULT_COLUMNS, label="Upload results", interactive=False, wrap=True,
                           elem_id="upload-results")
    summary = gr.Markdown(elem_id="upload-summary")
    docs = gr.Dataframe(headers=DOC_COLUMNS, label="Documents in this space", interactive=False, wrap=True,
                        elem_id="documents-table")
    with gr.Row(equal_height=True):
        doomed = gr.Dropdown(label="Document to delete", choices=[], value=None, allow_custom_value=False,
                             filterable=True, scale=4, elem_id="delete-doc-name")
        ask_delete = gr.Button("Delete document…", variant="secondary", scale=1, elem_id="delete-doc")
    with gr.Group(visible=False, elem_id="confirm-delete-doc") as confirm:
        warning = gr.Markdown(elem_id="delete-doc-warning")
        with gr.Row():
            really = gr.Button("Yes, delete it", variant="stop", size="sm", elem_id="confirm-delete-doc-yes")
            cancel = gr.Button("Cancel", size="sm", elem_id="confirm-delete-doc-no")

    def on_upload(paths: list[str] | None, space: str | None, progress=gr.Progress()):
        if not paths:
            return
        if not space:
            yield [], "⚠️ Create or pick a space first.", gr.update()
            return
        names = [Path(p).name for p in paths]
        rows: list[list] = [[name, "waiting", "", "", "", ""] for name in names]
        events: queue.Queue = queue.Queue()
        outcome: dict = {}

        def work() -> None:
            try:
                outcome["results"] = service.ingest_files(space, list(zip(names, map(Path, paths), strict=False)),
                                                          events.put)
            except Exception as err:  # e.g. the space's embedder differs: say so instead of failing silently
                outcome["error"] = str(err)
            finally:
                events.put(None)

        started = time.perf_counter()
        threading.Thread(target=work, daemon=True, name="ui-upload").start()
        yield rows, f"Indexing {len(paths)} file(s)…", gr.update()
        while (event := events.get()) is not None:
            if isinstance(event, FileStarted):
                rows[event.index - 1][1] = "indexing…"
                progress((event.index - 1, len(paths)), desc=f"Indexing {names[event.index - 1]}", unit="files")
            elif isinstance(event, ChunksWritten):
                row = next((r for r in rows if r[1] == "indexing…"), None)
                if row is not None:
                    row[3] = event.done
            elif isinstance(event, FileDone):
                r = event.result
                rows[event.index - 1] = [r.file, r.status, r.pages or "", r.chunks, r.seconds,
                               "; ".join([r.reason] * bool(r.reason) + r.warnings[:2])]
            yield rows, f"Indexed {sum(r[1] in ('ok', 'skipped', 'failed') for r in rows)} of {len(paths)}", \
                gr.update()
        if "error" in outcome:
            yield rows, f"⚠️ {md_literal(outcome['error'])}", gr.update()
            return
        counts = {k: sum(r.status == k for r in outcome["results"]) for k in ("ok", "skipped", "failed")}
        text = (f"**Done in {time.perf_counter() - started:.1f}s:** {counts['ok']} indexed, {counts['skipped']} "
                f"unchanged or duplicate, {counts['failed']} failed.")
        yield rows, text, document_rows(service, space)

    def listing(space: str | None):
        rows = document_rows(service, space)
        return rows, gr.update(choices=[r[0] for r in rows], value=None)

    # one progress display, on the summary line: the tables update live and stay visible
    files.upload(on_upload, [files, selector], [results, summary, docs], api_name="upload",
                 show_progress="minimal", show_progress_on=[summary]).then(
        listing, [selector], [docs, doomed], api_visibility="private", show_progress="hidden")
    selector.change(listing, [selector], [docs, doomed], api_visibility="private", show_progress="hidden")

    def on_ask_delete(space: str | None, name: str | None):
        docs = document_rows(service, space)
        doc = next((d for d in docs if d[0] == name), None) if space and name else None
        if doc is None:
            return gr.update(visible=False), "", "Pick a document from the list first."
        return gr.update(visible=True), (f"Delete **{md_literal(doc[0])}** ({doc[3]} chunks) from space "
                                         f"**{md_literal(space or '')}**? It is removed from the index for "
                                         f"everyone."), ""

    def on_delete(space: str | None, name: str | None):
        try:
            removed = service.delete_document(space, name) if space and name else 0
        except (DocumentNotFound, SpaceNotFound):
            removed = 0
        note = (f"Deleted **{md_literal(name or '')}**." if removed else
                f"⚠️ No document named **{md_literal(name or '')}** in this space.")
        return *listing(space), gr.update(visible=False), note

    ask_delete.click(on_ask_delete, [selector, doomed], [confirm, warning, summary], api_visibility="private")
    # deleting is the REST API's job for programs; here it needs the confirmation
    really.click(on_delete, [selector, doomed], [docs, doomed, confirm, summary], api_visibility="private")
    cancel.click(lambda: gr.update(visible=False), None, [confirm], api_visibility="private")

    def on_pick(evt: gr.SelectData):  # clicking a row picks its document
        return gr.update(value=str(evt.row_value[0])) if evt.row_value else gr.update()

    docs.select(on_pick, None, [doomed], api_visibility="private")
    return docs, doomed
