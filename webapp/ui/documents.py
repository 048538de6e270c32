"""Documents panel: drag-and-drop multi-file upload with per-file progress and a summary, the space's documents as
a table, deleting the selected documents after a confirmation that says what will be lost, and re-indexing. Each
action checks the user's role on the space first; an upload leaves no copy in Gradio's upload cache."""
from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from rag import ChunksWritten, FileDone, FileStarted, RagError, RagService, SpaceNotFound, supported_suffixes
from webapp.auth.guard import Guard
from webapp.ui.i18n import headers, say, t, table, ui_language
from webapp.ui.rights import Controls, caller, permitted
from webapp.ui.safe_text import md_literal

RESULT_COLUMNS = ("file", "status", "pages", "chunks", "seconds", "details")
DOC_COLUMNS = ("file", "type", "pages", "chunks", "size", "added", "language")


def document_rows(service: RagService, guard: Guard, request: gr.Request | None, space: str | None) -> list[list]:
    """The space's documents as table rows; none when the caller may not list them (a shared link's visitor)."""
    if not space or not guard.access.allowed(caller(guard, request), space, "documents"):
        return []
    try:
        docs = service.documents(space)
    except SpaceNotFound:  # deleted meanwhile (by another user)
        docs = []
    return [[d.name, d.file_type, d.pages or "", d.chunks, round(d.size / 1024, 1),
             time.strftime("%Y-%m-%d %H:%M", time.localtime(d.added)), d.language] for d in docs]


def document_table(service: RagService, guard: Guard, request: gr.Request, space: str | None) -> dict:
    return table(ui_language(request), DOC_COLUMNS, document_rows(service, guard, request, space))


def forget_uploads(paths: list[str]) -> None:
    """Remove Gradio's cached copies of uploaded files (and their folders): once ingested, the original is kept
    by the engine alone, and is gone with its document."""
    for path in map(Path, paths):
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):   # not empty (another file of the batch), or gone already
            path.parent.rmdir()


def _names(names: list[str]) -> str:
    return ", ".join(f"**{md_literal(n)}**" for n in names)


def _in_background(work: Callable[[Callable], object], events: queue.Queue,
                   after: Callable[[], None] = lambda: None) -> dict:
    """Run `work(progress)`, then `after()`, in a thread; its progress events, then None, arrive on `events`."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work(events.put)
        except RagError as err:   # e.g. the space's embedder differs: say so instead of failing silently
            outcome["error"] = str(err)
        except Exception as err:
            outcome["error"] = f"{type(err).__name__}: {err}"
        finally:
            after()
            events.put(None)

    threading.Thread(target=run, daemon=True, name="ui-ingest").start()
    return outcome


def build_documents(service: RagService, guard: Guard, selector: gr.Dropdown, controls: Controls):
    supported = gr.Markdown(say("en", "supported", types=" ".join(supported_suffixes())), elem_id="supported-types")
    files = gr.File(file_count="multiple", label=t("drop_files"), elem_id="upload-files", height=140)
    results = gr.Dataframe(headers=headers("en", RESULT_COLUMNS), label=t("upload_results"), interactive=False,
                           wrap=True, elem_id="upload-results")
    summary = gr.Markdown(elem_id="upload-summary")
    docs = gr.Dataframe(headers=headers("en", DOC_COLUMNS), label=t("documents_in_space"), interactive=False,
                        wrap=True, elem_id="documents-table")
    chosen = gr.CheckboxGroup(label=t("select_documents"), choices=[], elem_id="selected-documents")
    with gr.Row():
        ask_delete = gr.Button(t("delete_selected"), variant="secondary", size="sm", elem_id="delete-docs")
        reindex = gr.Button(t("reindex"), size="sm", elem_id="reindex-space")
    with gr.Group(visible=False, elem_id="confirm-delete-docs") as confirm:
        warning = gr.Markdown(elem_id="delete-docs-warning")
        with gr.Row():
            really = gr.Button(t("delete_yes"), variant="stop", size="sm", elem_id="confirm-delete-docs-yes")
            cancel = gr.Button(t("cancel"), size="sm", elem_id="confirm-delete-docs-no")

    def on_upload(paths: list[str] | None, space: str | None, request: gr.Request, progress=gr.Progress()):
        lang = ui_language(request)
        if not paths:
            return
        if not space:
            forget_uploads(paths)
            yield table(lang, RESULT_COLUMNS, []), say(lang, "pick_space"), gr.update()
            return
        try:
            who = permitted(guard, request, space, "ingest")
        except gr.Error:
            forget_uploads(paths)
            raise
        names = [Path(p).name for p in paths]
        rows: list[list] = [[name, "waiting", "", "", "", ""] for name in names]
        events: queue.Queue = queue.Queue()
        started = time.perf_counter()
        outcome = _in_background(lambda report: service.ingest_files(    # the cache copies go once it ends
            space, list(zip(names, map(Path, paths), strict=False)), report), events, lambda: forget_uploads(paths))
        yield table(lang, RESULT_COLUMNS, rows), say(lang, "indexing", n=len(paths)), gr.update()
        while (event := events.get()) is not None:
            if isinstance(event, FileStarted):
                rows[event.index - 1][1] = "indexing…"
                progress((event.index - 1, len(paths)), desc=names[event.index - 1], unit="files")
            elif isinstance(event, ChunksWritten):
                row = next((r for r in rows if r[1] == "indexing…"), None)
                if row is not None:
                    row[3] = event.done
            elif isinstance(event, FileDone):
                r = event.result
                rows[event.index - 1] = [r.file, r.status, r.pages or "", r.chunks, r.seconds,
                                         "; ".join([r.reason] * bool(r.reason) + r.warnings[:2])]
            done = sum(r[1] in ("ok", "skipped", "failed") for r in rows)
            yield table(lang, RESULT_COLUMNS, rows), say(lang, "indexed_of", done=done, n=len(paths)), gr.update()
        if "error" in outcome:
            yield table(lang, RESULT_COLUMNS, rows), f"⚠️ {md_literal(outcome['error'])}", gr.update()
            return
        for r in outcome["result"]:
            guard.access.record(who, "upload", space, r.status != "failed", r.file)
        counts = {k: sum(r.status == k for r in outcome["result"]) for k in ("ok", "skipped", "failed")}
        yield table(lang, RESULT_COLUMNS, rows), say(lang, "done_in", s=time.perf_counter() - started, **counts), \
            document_table(service, guard, request, space)

    def listing(space: str | None, request: gr.Request):
        rows = document_rows(service, guard, request, space)
        return table(ui_language(request), DOC_COLUMNS, rows), gr.update(choices=[r[0] for r in rows], value=[])

    # one progress display, on the summary line: the tables update live and stay visible
    files.upload(on_upload, [files, selector], [results, summary, docs], api_name="upload",
                 show_progress="minimal", show_progress_on=[summary]).then(
        listing, [selector], [docs, chosen], api_visibility="private", show_progress="hidden")
    selector.change(listing, [selector], [docs, chosen], api_visibility="private", show_progress="hidden")

    def on_ask_delete(space: str | None, names: list[str] | None, request: gr.Request):
        lang = ui_language(request)
        permitted(guard, request, space, "delete_document")
        rows = {r[0]: r for r in document_rows(service, guard, request, space)}
        picked = [n for n in names or [] if n in rows]
        if not space or not picked:
            return gr.update(visible=False), "", say(lang, "pick_documents")
        return gr.update(visible=True), say(lang, "confirm_delete_docs", names=_names(picked),
                                            chunks=sum(rows[n][3] for n in picked), space=md_literal(space)), ""

    def on_delete(space: str | None, names: list[str] | None, request: gr.Request):
        lang, removed = ui_language(request), []
        who = permitted(guard, request, space, "delete_document")
        for name in names or []:
            try:
                service.delete_document(space or "", name)
                removed.append(name)
                guard.access.record(who, "delete_document", space or "", True, name)
            except RagError:   # gone meanwhile (another user)
                continue
        note = say(lang, "deleted_docs", names=_names(removed)) if removed else say(lang, "no_such_docs")
        return *listing(space, request), gr.update(visible=False), note

    ask_delete.click(on_ask_delete, [selector, chosen], [confirm, warning, summary], api_visibility="private")
    # deleting is the REST API's job for programs; here it needs the confirmation
    really.click(on_delete, [selector, chosen], [docs, chosen, confirm, summary], api_visibility="private")
    cancel.click(lambda: gr.update(visible=False), None, [confirm], api_visibility="private")

    def on_pick(names: list[str] | None, evt: gr.SelectData):  # clicking a row (un)selects its document
        if not evt.row_value:
            return gr.update()
        name, picked = str(evt.row_value[0]), list(names or [])
        return [*picked, name] if name not in picked else [n for n in picked if n != name]

    docs.select(on_pick, [chosen], [chosen], api_visibility="private")

    def on_reindex(space: str | None, request: gr.Request, progress=gr.Progress()):
        lang = ui_language(request)
        if not space:
            return say(lang, "pick_space")
        permitted(guard, request, space, "reindex")
        total = max(1, service.count_chunks(space))
        events: queue.Queue = queue.Queue()
        outcome = _in_background(lambda report: service.reindex(space, report), events)
        while (event := events.get()) is not None:
            if isinstance(event, ChunksWritten):
                progress((min(event.done, total), total), desc=space, unit="chunks")
        if "error" in outcome:
            return f"⚠️ {md_literal(outcome['error'])}"
        r = outcome["result"]
        return say(lang, "reindexed", space=md_literal(space), docs=r.documents, chunks=r.chunks, s=r.seconds)

    reindex.click(on_reindex, [selector], [summary], api_visibility="private", show_progress="minimal")
    controls.add("ingest", supported, files, results)
    controls.add("delete_documents", chosen, ask_delete)
    controls.add("reindex", reindex)
    return docs, chosen, supported, results
