"""Chat panel: streamed, cited answers plus a sources panel (file, page, snippet).

Chat history lives in the browser (gr.BrowserState, one thread per space); the server keeps none."""
from __future__ import annotations

import html

import gradio as gr

from rag.engine import citation_block
from rag.prompts import PAGE_WORD
from rag.textproc import content_stems
from rag.service import RagService
from rag.store import SpaceError

_SNIPPET_CHARS = 400


def best_snippet(text: str, question: str, chars: int = _SNIPPET_CHARS) -> str:
    """The part of a chunk that shares most words with the question, about `chars` long."""
    flat = " ".join(text.split())
    if len(flat) <= chars or not question:
        return flat[:chars]
    wanted = set(content_stems(question))
    step = max(40, chars // 4)
    starts = range(0, max(1, len(flat) - chars + step), step)
    best = max(starts, key=lambda i: (len(wanted & set(content_stems(flat[i:i + chars]))), -i))
    snippet = flat[best:best + chars]
    return ("…" if best else "") + snippet


def sources_markdown(sources: list, cited: list[int] | None = None, lang: str = "en", question: str = "") -> str:
    if not sources:
        return "_No sources yet. Ask a question about the documents in this space._"
    lines = []
    for s in sources:
        mark = " · cited" if cited and s.n in cited else ""
        page = f", {PAGE_WORD[lang]} {s.page}" if s.page else ""
        snippet = html.escape(best_snippet(s.text, question))
        lines.append(f"**[{s.n}] {html.escape(s.file)}{page}**{mark}  \n<small>score {s.score:.3f}</small>  \n"
                     f"> {snippet}…")
    return "\n\n".join(lines)


def build_chat(service: RagService, selector: gr.Dropdown, default_top_k: int):
    threads = gr.BrowserState({}, storage_key="quadrate-chat-threads")
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="Chat", height=520, elem_id="chatbot", buttons=["copy"],
                                 placeholder="Ask about your documents, in Russian or English.")
            with gr.Row():
                question = gr.Textbox(placeholder="Например: Сколько критических уязвимостей выявил аудит?",
                                      show_label=False, scale=5, elem_id="question", autofocus=True)
                send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
            with gr.Row():
                top_k = gr.Slider(1, 20, value=default_top_k, step=1, label="Sources per answer (top_k)")
                clear = gr.Button("New chat", scale=0, elem_id="new-chat")
        with gr.Column(scale=2):
            sources = gr.Markdown(sources_markdown([]), label="Sources", elem_id="sources-panel",
                                  container=True, min_height=520)

    async def respond(message: str, history: list[dict], space: str | None, k: float, saved: dict):
        message = (message or "").strip()
        if not message:
            yield history, gr.update(), "", saved
            return
        history = list(history or [])
        if not space:
            history += [{"role": "user", "content": message},
                        {"role": "assistant", "content": "⚠️ Create or pick a space first."}]
            yield history, gr.update(), "", saved
            return
        prior = list(history)
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        yield history, gr.update(), "", saved
        answer_text, shown_sources = "", []
        try:
            async for event in service.astream(space, message, prior, int(k)):
                if event["type"] == "sources":
                    shown_sources = event["sources"]
                    yield history, sources_markdown(shown_sources, None, event["language"], message), "", saved
                elif event["type"] == "token":
                    answer_text += event["text"]
                    history[-1] = {"role": "assistant", "content": answer_text}
                    yield history, gr.update(), "", saved
                else:
                    a = event["answer"]
                    history[-1] = {"role": "assistant",
                                   "content": answer_text.strip() + citation_block(a.sources, a.cited, a.language)}
                    saved = {**(saved or {}), space: history[-40:]}
                    yield history, sources_markdown(a.sources, a.cited, a.language, message), "", saved
        except SpaceError as err:
            history[-1] = {"role": "assistant", "content": f"⚠️ {err}"}
            yield history, gr.update(), "", saved

    def restore(space: str | None, saved: dict):
        return (saved or {}).get(space or "", []), sources_markdown([])

    def new_chat(space: str | None, saved: dict):
        saved = {k: v for k, v in (saved or {}).items() if k != space}
        return [], sources_markdown([]), saved

    inputs = [question, chatbot, selector, top_k, threads]
    outputs = [chatbot, sources, question, threads]
    send.click(respond, inputs, outputs, api_name="chat")
    question.submit(respond, inputs, outputs, api_name=False)
    clear.click(new_chat, [selector, threads], [chatbot, sources, threads], api_name=False)
    selector.change(restore, [selector, threads], [chatbot, sources], api_name=False)
    return chatbot, sources, threads, restore
