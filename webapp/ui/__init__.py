"""The Gradio Blocks UI: spaces, documents, chat and status panels, one module each."""
from __future__ import annotations

import gradio as gr

from rag.service import RagService
from webapp.ui.chat import build_chat
from webapp.ui.documents import build_documents, document_rows
from webapp.ui.spaces import build_spaces
from webapp.ui.status import build_status

TITLE = "Quadrate Chat"


def build_ui(service: RagService) -> gr.Blocks:
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\nDrop documents into a space, then ask questions in Russian or English. "
                    "Answers stream in with numbered citations to file and page.")
        selector, load_spaces = build_spaces(service)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot, sources, threads, restore = build_chat(service, selector, service.settings.top_k)
            with gr.Tab("Documents", id="documents"):
                docs = build_documents(service, selector)
            with gr.Tab("Status", id="status"):
                build_status(service)

        def on_load(saved: dict):
            update = load_spaces()
            space = update.get("value")
            history, sources = restore(space, saved)
            return update, history, sources, document_rows(service, space)

        demo.load(on_load, [threads], [selector, chatbot, sources, docs], api_name=False)
    return demo
