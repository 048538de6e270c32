"""The Gradio Blocks UI: spaces, chat (with the sources and the source viewer), documents and status panels, one
module each; labels in Russian and English by the browser's locale (webapp/ui/i18n.py)."""
from __future__ import annotations

import gradio as gr

from rag import RagService, supported_suffixes
from webapp.ui import threads
from webapp.ui.chat import build_chat, restore
from webapp.ui.documents import DOC_COLUMNS, RESULT_COLUMNS, build_documents, document_rows
from webapp.ui.i18n import I18N, say, t, table, ui_language
from webapp.ui.page_script import CSS, HEAD
from webapp.ui.spaces import build_spaces, space_names
from webapp.ui.status import build_status
from webapp.ui.viewer import placeholder_html

__all__ = ["CSS", "HEAD", "I18N", "build_ui"]

TITLE = "Quadrate Chat"
DEFAULT_SPACE = "demo"


def build_ui(service: RagService) -> gr.Blocks:
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}", elem_id="title")
        gr.Markdown(t("intro"), elem_id="intro")
        selector = build_spaces(service)
        with gr.Tabs():
            with gr.Tab(t("tab_chat"), id="chat"):
                chatbot, sources, state, only, viewer = build_chat(service, selector, service.top_k)
            with gr.Tab(t("tab_documents"), id="documents"):
                docs, chosen, supported, results = build_documents(service, selector)
            with gr.Tab(t("tab_status"), id="status") as status_tab:
                report, report_outputs = build_status(service)
        status_tab.select(report, None, report_outputs, api_visibility="private")

        def files_of(space: str | None):
            return gr.update(choices=[r[0] for r in document_rows(service, space)], value=[])

        docs.change(files_of, [selector], [only], api_visibility="private", show_progress="hidden")

        def on_load(saved, request: gr.Request):
            """Open the space named in the URL (?space=), else the last one used, else the first."""
            lang = ui_language(request)
            names = space_names(service)
            if not names:
                service.create_space(DEFAULT_SPACE)
                names = space_names(service)
            requested = request.query_params.get("space") if request is not None else None
            space = threads.pick_space(names, requested, saved)
            history, panel = restore(space, saved)
            rows = document_rows(service, space)
            return (gr.update(choices=names, value=space), history, panel, table(lang, DOC_COLUMNS, rows),
                    gr.update(choices=[r[0] for r in rows], value=[]), threads.remember_space(saved, space),
                    gr.update(choices=[r[0] for r in rows], value=[]), placeholder_html(lang),
                    say(lang, "supported", types=" ".join(supported_suffixes())), table(lang, RESULT_COLUMNS, []))

        demo.load(on_load, [state], [selector, chatbot, sources, docs, chosen, state, only, viewer, supported, results],
                  api_visibility="private")
    return demo
