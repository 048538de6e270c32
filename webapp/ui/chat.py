"""Chat panel: streamed, cited answers with a live status and a Stop button, plus a sources panel. Every answer
keeps its sources: click an answer to see them again.

Chat history lives in the browser (gr.BrowserState, one thread per space); the server keeps none."""
from __future__ import annotations

import functools

import gradio as gr

from rag import RagService
from webapp.ui import threads
from webapp.ui.chat_stream import respond, stopped
from webapp.ui.sources_view import panel_html

_DEFAULT_STATE_SECRET = "quadrate-chat-browser-history"


def _stored_panel(entry) -> str:
    if not isinstance(entry, dict):
        return panel_html([])
    return panel_html(entry.get("items") or [], entry.get("lang") or "en", entry.get("note") or "")


def restore(space: str | None, saved):
    """The space's thread and the sources of its last answer."""
    messages, sources = threads.thread_of(saved, space)
    return messages, _stored_panel(threads.last_sources(sources))


def build_chat(service: RagService, selector: gr.Dropdown, default_top_k: int):
    state = gr.BrowserState(threads.normalise(None), storage_key="quadrate-chat-threads",
                            secret=service.settings.ui_state_secret.get_secret_value() or _DEFAULT_STATE_SECRET)
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="Chat", height=520, elem_id="chatbot", buttons=["copy"], allow_tags=False,
                                 sanitize_html=True, placeholder="Ask about your documents, in Russian or English.")
            with gr.Row():
                question = gr.Textbox(placeholder="Например: Сколько критических уязвимостей выявил аудит?",
                                      show_label=False, scale=5, elem_id="question", autofocus=True,
                                      max_length=service.settings.max_question_chars)
                send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                stop = gr.Button("Stop", variant="stop", scale=1, elem_id="stop", visible=False)
            with gr.Row():
                top_k = gr.Slider(1, 20, value=default_top_k, step=1, label="Sources per answer (top_k)")
                clear = gr.Button("New chat", scale=0, elem_id="new-chat")
        with gr.Column(scale=2):
            gr.Markdown("**Sources**")
            sources = gr.HTML(panel_html([]), elem_id="sources-panel", container=True, min_height=520)

    answer = gr.on([send.click, question.submit], functools.partial(respond, service),
                   [question, chatbot, selector, top_k, state], [chatbot, sources, question, state, send, stop],
                   api_name="chat", trigger_mode="once", show_progress="hidden")
    stop.click(stopped, [chatbot, selector, state], [chatbot, state, send, stop], cancels=[answer],
               api_visibility="private")

    def show_sources(space: str | None, saved, evt: gr.SelectData):
        _, stored = threads.thread_of(saved, space)
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        return _stored_panel(stored[index] if 0 <= index < len(stored) else None)

    chatbot.select(show_sources, [selector, state], [sources], api_visibility="private")

    def new_chat(space: str | None, saved):
        return [], panel_html([]), threads.save_thread(saved, space or "", [], [])

    clear.click(new_chat, [selector, state], [chatbot, sources, state], api_visibility="private")
    chatbot.clear(new_chat, [selector, state], [chatbot, sources, state], api_visibility="private")

    def on_space(space: str | None, saved):
        return *restore(space, saved), threads.remember_space(saved, space)

    selector.change(on_space, [selector, state], [chatbot, sources, state], api_visibility="private")
    return chatbot, sources, state
