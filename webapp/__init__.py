"""Gradio UI and HTTP API; both call rag.service.RagService."""
