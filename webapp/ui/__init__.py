"""The Gradio Blocks UI: spaces, documents, chat and status panels, one module each."""
from __future__ import annotations

import gradio as gr

from rag import RagService
from webapp.ui import threads
from webapp.ui.chat import build_chat, restore
from webapp.ui.documents import build_documents, document_rows
from webapp.ui.spaces import build_spaces, space_names
from webapp.ui.status import build_status

TITLE = "Quadrate Chat"
CSS = """
.qc-source { margin-bottom: 14px; }
.qc-source-title { margin-bottom: 2px; }
.qc-heading, .qc-score { font-size: 0.85em; opacity: 0.75; }
.qc-snippet { margin: 6px 0 0 0; padding-left: 10px; border-left: 3px solid #ccc; white-space: pre-wrap; }
.qc-fit-note { margin-bottom: 10px; font-style: italic; }
"""
DEFAULT_SPACE = "demo"


def build_ui(service: RagService) -> gr.Blocks:
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\nDrop documents into a space, then ask questions in Russian or English. "
                    "Answers stream in with numbered citations to file and page.")
        selector = build_spaces(service)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot, sources, state = build_chat(service, selector, service.top_k)
            with gr.Tab("Documents", id="documents"):
                docs, doomed = build_documents(service, selector)
            with gr.Tab("Status", id="status"):
                build_status(service)

        def on_load(saved, request: gr.Request):
            """Open the space named in the URL (?space=), else the last one used, else the first."""
            names = space_names(service)
            if not names:
                service.create_space(DEFAULT_SPACE)
                names = space_names(service)
            requested = request.query_params.get("space") if request is not None else None
            space = threads.pick_space(names, requested, saved)
            history, panel = restore(space, saved)
            rows = document_rows(service, space)
            return (gr.update(choices=names, value=space), history, panel, rows,
                    gr.update(choices=[r[0] for r in rows], value=None), threads.remember_space(saved, space))

        demo.load(on_load, [state], [selector, chatbot, sources, docs, doomed, state], api_visibility="private")
    return demo
