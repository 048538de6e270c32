"""Status panel: health of the LLM, the store and the embedder."""
from __future__ import annotations

import gradio as gr

from rag import RagService


def build_status(service: RagService):
    refresh = gr.Button("Refresh status", elem_id="refresh-status")
    report = gr.JSON(label="Health", elem_id="health-json")
    refresh.click(service.health, None, [report], api_name="health")
    return report
