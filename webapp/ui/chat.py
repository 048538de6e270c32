"""Chat panel: streamed, cited answers with a live status and a Stop button, plus a sources panel. Every answer
keeps its sources: click an answer to see them again.

Chat history lives in the browser (gr.BrowserState, one thread per space); the server keeps none."""
from __future__ import annotations

import functools

import gradio as gr

from rag import RagService
from webapp.ui import threads
from webapp.ui.chat_stream import begin, finish, respond, stopped
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

    # three steps, so that the stream itself updates only the chat, the sources and the browser state (each
    # output costs a component per update): the box and the buttons are set before and after it
    # hidden components, not gr.State (a State keeps a connection open in the browser): the question being
    # answered (the /chat API's first input), whether an answer streams, and the answer's sources as data
    asked, busy, stored = gr.Textbox(visible=False), gr.Checkbox(False, visible=False), gr.JSON(visible=False)
    start = gr.on([send.click, question.submit], begin, [question, busy], [asked, question, send, stop, busy],
                  trigger_mode="once", show_progress="hidden", api_visibility="private")
    answer = start.success(functools.partial(respond, service), [asked, chatbot, selector, top_k],
                           [chatbot, sources, stored], api_name="chat", show_progress="hidden")
    answer.then(finish, [chatbot, selector, state, stored], [state, send, stop, busy], api_visibility="private",
                show_progress="hidden")
    stop.click(stopped, [chatbot, selector, state], [chatbot, state, send, stop, busy], cancels=[answer],
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
