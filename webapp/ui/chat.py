"""Chat panel: streamed, cited answers with a live status, Stop, Retry, copy and thumbs up or down; a filter to
search only some documents; and, beside the chat, the answer's sources and the source viewer. Every answer keeps
its sources: click an answer to see them again, click [n] or a source to see the passage in its file.

Chat history lives in the browser (gr.BrowserState, one thread per space); the server keeps none."""
from __future__ import annotations

import gradio as gr

from rag import RagService, message_text
from webapp.auth.guard import Guard
from webapp.ui import threads
from webapp.ui.chat_actions import answer_sources, comment, open_source, rate, share_chat
from webapp.ui.chat_stream import begin, buttons, finish, respond, stopped
from webapp.ui.i18n import t
from webapp.ui.rights import Controls
from webapp.ui.sources_view import panel_html
from webapp.ui.viewer import placeholder_html

_DEFAULT_STATE_SECRET = "quadrate-chat-browser-history"
HIDDEN = ["qc-hidden"]       # in the page (the click handler needs them) but never shown


def _stored_panel(entry, message: int = -1) -> str:
    if not isinstance(entry, dict):
        return panel_html([])
    return panel_html(entry.get("items") or [], entry.get("lang") or "en", entry.get("note") or "", message)


def restore(space: str | None, saved):
    """The space's thread and the sources of its last answer."""
    messages, sources = threads.thread_of(saved, space)
    last = next((i for i in range(len(sources) - 1, -1, -1) if sources[i] is not None), -1)
    return messages, _stored_panel(sources[last] if last >= 0 else None, last)


def retry_last(history: list[dict], busy: bool) -> tuple:
    """Retry: the last question is asked again, its answer removed; (question, chat, send, stop, busy)."""
    history = list(history or [])
    last = next((i for i in range(len(history) - 1, -1, -1) if history[i].get("role") == "user"), None)
    if busy or last is None:
        raise gr.Error("nothing to retry" if last is None else "an answer is still streaming", visible=False)
    return message_text(history[last].get("content")), history[:last], *buttons(True), True


def build_chat(service: RagService, guard: Guard, selector: gr.Dropdown, controls: Controls):
    state = gr.BrowserState(threads.normalise(None), storage_key="quadrate-chat-threads",
                            secret=service.settings.ui_state_secret.get_secret_value() or _DEFAULT_STATE_SECRET)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chatbot = gr.Chatbot(label=t("chat"), height=520, elem_id="chatbot", buttons=["copy"],
                                 allow_tags=False, sanitize_html=True, placeholder=t("ask_placeholder"),
                                 feedback_options=("Like", "Dislike"))
            with gr.Row(equal_height=True):
                question = gr.Textbox(placeholder=t("question_placeholder"), show_label=False, scale=5,
                                      elem_id="question", autofocus=True, label=t("chat"),
                                      max_length=service.settings.max_question_chars)
                send = gr.Button(t("send"), variant="primary", scale=1, min_width=90, elem_id="send")
                stop = gr.Button(t("stop"), variant="stop", scale=1, min_width=90, elem_id="stop", visible=False)
            with gr.Group(visible=False, elem_id="feedback-comment") as comment_row:
                remark = gr.Textbox(label=t("feedback_comment"), lines=2, max_length=4000, elem_id="feedback-text")
                send_remark = gr.Button(t("send_comment"), size="sm", elem_id="feedback-send")
            notice = gr.Markdown(elem_id="chat-notice")
            share = gr.Button(t("share_chat"), size="sm", elem_id="share-chat", scale=0)
            with gr.Accordion(t("only_files"), open=False, elem_id="filter-accordion") as filters:
                only = gr.Dropdown(choices=[], value=[], multiselect=True, label=t("only_files"),
                                   info=t("only_files_info"), elem_id="only-files")
                with gr.Row(equal_height=True):
                    top_k = gr.Slider(1, 20, value=service.top_k, step=1, label=t("top_k"), elem_id="top-k")
                    clear = gr.Button(t("new_chat"), scale=0, min_width=120, elem_id="new-chat")
        with gr.Column(scale=2, min_width=300):
            sources = gr.HTML(panel_html([]), label=t("sources"), elem_id="sources-panel", container=True,
                              min_height=200)
            viewer = gr.HTML(placeholder_html("en"), label=t("viewer"), elem_id="source-viewer", container=True)
            download = gr.HTML("", visible=False, elem_id="download-original")
    # hidden: the question being answered (the /chat API's first input), whether an answer streams, the answer's
    # sources as data, the rating just given, and the viewer's reference + button (set by the page's script).
    # Components, not gr.State: a State keeps a connection open in the browser.
    asked, busy, stored = gr.Textbox(visible=False), gr.Checkbox(False, visible=False), gr.JSON(visible=False)
    rating = gr.JSON(visible=False)
    ref = gr.Textbox(elem_id="viewer-ref", elem_classes=HIDDEN, show_label=False, container=False)
    open_viewer = gr.Button("open", elem_id="open-viewer", elem_classes=HIDDEN)

    answer_inputs = [asked, chatbot, selector, top_k, only]
    answer_outputs = [chatbot, sources, stored]

    async def ask(message: str, history: list[dict], space: str | None, k: float, files: list[str] | None,
                  request: gr.Request):
        async for update in respond(service, guard, request, message, history, space, k, files):
            yield update

    start = gr.on([send.click, question.submit], begin, [question, busy], [asked, question, send, stop, busy],
                  trigger_mode="once", show_progress="hidden", api_visibility="private")
    answer = start.success(ask, answer_inputs, answer_outputs, api_name="chat", show_progress="hidden")
    answer.then(finish, [chatbot, selector, state, stored], [state, send, stop, busy], api_visibility="private",
                show_progress="hidden")
    again = chatbot.retry(retry_last, [chatbot, busy], [asked, chatbot, send, stop, busy],
                          api_visibility="private", show_progress="hidden")
    retried = again.success(ask, answer_inputs, answer_outputs, api_visibility="private", show_progress="hidden")
    retried.then(finish, [chatbot, selector, state, stored], [state, send, stop, busy], api_visibility="private",
                 show_progress="hidden")
    stop.click(stopped, [chatbot, selector, state, stored], [chatbot, state, send, stop, busy],
               cancels=[answer, retried], api_visibility="private")

    # closures, not functools.partial: gradio finds gr.Request and gr.LikeData parameters by their type hints
    def on_open(reference: str, space: str | None, saved, answer, request: gr.Request):
        return open_source(service, guard, reference, space, saved, answer, request)

    def on_like(space: str | None, saved, answer, history: list[dict], data: gr.LikeData, request: gr.Request):
        return rate(service, guard, space, saved, answer, history, data, request)

    def on_comment(text: str, given, request: gr.Request):
        return comment(service, guard, text, given, request)

    def on_share(space: str | None, saved, history: list[dict], request: gr.Request):
        return share_chat(guard, space, saved, history, request)

    open_viewer.click(on_open, [ref, selector, state, stored], [viewer, download], api_visibility="private",
                      show_progress="minimal", show_progress_on=[viewer])
    chatbot.like(on_like, [selector, state, stored, chatbot], [notice, comment_row, rating],
                 api_visibility="private", show_progress="hidden")
    send_remark.click(on_comment, [remark, rating], [notice, remark, comment_row], api_visibility="private")
    share.click(on_share, [selector, state, chatbot], [notice], api_visibility="private")

    def show_sources(space: str | None, saved, evt: gr.SelectData):
        index = evt.index if isinstance(evt.index, int) else (evt.index or [0])[0]
        return _stored_panel(answer_sources(saved, space, None, index), index)

    chatbot.select(show_sources, [selector, state], [sources], api_visibility="private")

    def new_chat(space: str | None, saved):
        return [], panel_html([]), threads.save_thread(saved, space or "", [], []), placeholder_html("en"), \
            gr.update(visible=False, value="")

    reset = [chatbot, sources, state, viewer, download]
    clear.click(new_chat, [selector, state], reset, api_visibility="private")
    chatbot.clear(new_chat, [selector, state], reset, api_visibility="private")

    def on_space(space: str | None, saved):
        return *restore(space, saved), threads.remember_space(saved, space), placeholder_html("en"), \
            gr.update(visible=False, value="")

    selector.change(on_space, [selector, state], [chatbot, sources, state, viewer, download],
                    api_visibility="private")
    controls.add("filter", filters)
    controls.add("share_chat", share)
    return chatbot, sources, state, only, viewer
