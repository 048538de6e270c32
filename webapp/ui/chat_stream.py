"""The chat handler: streams one answer into the chat with a live status while it waits ("searching…", then
"N sources found; the model is reading them… 12 s") and stores the answer with its sources in the browser.

Cost per update matters: Gradio builds a component for every gr.update() of every output on every yield (about
1 ms each) and post-processes every other output in a worker thread. So the stream's outputs are only the chat,
the sources panel and a hidden JSON with the stored answer; the question box, the buttons and the browser
state are set in their own steps before and after it (`begin`, `finish`), and tokens are shown at most every
FLUSH_S (bench.serve: 5.5 ms of CPU per token before, at 32 chats)."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import gradio as gr

from rag import (
    AnswerDone,
    AnswerEvent,
    DocumentNotFound,
    RagError,
    RagService,
    SourcesFound,
    SpaceError,
    Token,
    detect_language,
    message_text,
)
from webapp.auth.guard import Guard
from webapp.limits import check_ask_limits
from webapp.ui import threads
from webapp.ui.citations import citation_block, link_citations, unsupported_numbers
from webapp.ui.rights import caller, refusal
from webapp.ui.safe_text import answer_markdown, md_literal
from webapp.ui.sources_view import fit_note, panel_html, to_stored

TICK_S = 0.25     # how often the handler wakes without an event: the status clock, tokens held back
FLUSH_S = 0.05    # tokens that come faster are shown together: 20 updates a second at most

STATUS = {
    "ru": {"searching": "Ищу в документах…", "reading": "Найдено источников: {n}. {fit}Модель читает их… {s} с",
           "no_space": "⚠️ Сначала создайте или выберите пространство.", "stopped": "(Остановлено.)",
           "too_long": "⚠️ Вопрос не отправлен: {problem}. Сократите его."},
    "en": {"searching": "Searching the documents…",
           "reading": "Sources found: {n}. {fit}The model is reading them… {s} s",
           "no_space": "⚠️ Create or pick a space first.", "stopped": "(Stopped.)",
           "too_long": "⚠️ Not sent: {problem}. Please shorten it."},
}


async def with_ticks(events: AsyncIterator[AnswerEvent],
                     interval: float = TICK_S) -> AsyncIterator[AnswerEvent | None]:
    """The events of `events`, and None whenever `interval` passes without one (to refresh a clock). The source
    is never cancelled by a tick, only when this generator is closed."""
    iterator = events.__aiter__()
    pending = asyncio.ensure_future(iterator.__anext__())
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=interval)
            if not done:
                yield None
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            yield event
            pending = asyncio.ensure_future(iterator.__anext__())
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


def engine_history(messages: list[dict], settings) -> list[dict]:
    """The earlier messages the engine gets: the last MAX_HISTORY_MESSAGES, each cut to MAX_MESSAGE_CHARS."""
    keep = messages[-settings.max_history_messages:] if settings.max_history_messages else []
    return [{"role": m["role"], "content": message_text(m.get("content"))[:settings.max_message_chars]} for m in keep]


def buttons(streaming: bool) -> tuple:
    """(send button, stop button) while an answer streams, or not."""
    return gr.update(interactive=not streaming), gr.update(visible=streaming)


def begin(message: str, busy: bool) -> tuple:
    """Before the answer: the question moves out of the box (what is typed next stays there), Send waits, Stop
    shows. Returns (the question, the box, send, stop, busy). While an answer streams, or with nothing typed, it
    raises a silent error, so that the answer step (chained with .success) does not run and the text stays."""
    text = (message or "").strip()
    if busy or not text:
        raise gr.Error("an answer is still streaming" if busy else "nothing to ask", visible=False)
    return text, "", *buttons(True), True


def finish(history: list[dict], space: str | None, saved, stored) -> tuple:
    """After the answer: the thread and the answer's sources go to the browser; (browser state, send, stop,
    busy)."""
    if space and isinstance(stored, dict):
        before = len(history) - 2   # the messages before this question and its answer
        prior_sources = (threads.thread_of(saved, space)[1] + [None] * before)[:before]
        saved = threads.save_thread(saved, space, history, [*prior_sources, None, stored])
    return saved, *buttons(False), False


def shown_answer(text: str, message: int, count: int) -> str:
    """A streaming answer as the chat shows it: safe Markdown, its [n] links to the viewer."""
    return link_citations(answer_markdown(text), message, count)


def final_answer(answer, message: int) -> str:
    """The finished answer: safe Markdown, the sources it cites under it, [n] links (flagged where the check
    found the sentence unsupported), and a warning sign when it failed."""
    content = answer_markdown(answer.answer)
    if answer.sources:
        content += citation_block(answer.sources, answer.cited, answer.language, md_literal)
    content = link_citations(content, message, len(answer.sources), unsupported_numbers(answer.citations),
                             answer.language)
    return ("⚠️ " if answer.error_code else "") + content


async def respond(service: RagService, guard: Guard, request: gr.Request | None, message: str, history: list[dict],
                  space: str | None, k: float, files: list[str] | None = None):
    """Yields (chat, sources panel, the stored answer: its sources for the browser state). `files`: search only
    these documents of the space. This is also the `/chat` API endpoint: the caller's right to ask in the space
    (and a shared link's questions a minute) is checked first."""
    text = (message or "").strip()
    keep = gr.skip()
    if not text:
        yield keep, keep, None
        return
    lang = detect_language(text)
    words = STATUS[lang]
    history = list(history or [])
    problem = check_ask_limits(service.settings, text, [])
    if not space or problem:
        note = words["no_space"] if not space else words["too_long"].format(problem=problem)
        yield [*history, {"role": "user", "content": text}, {"role": "assistant", "content": note}], keep, None
        return
    try:
        guard.ask(caller(guard, request), space)
    except RagError as err:
        note = f"⚠️ {md_literal(refusal(err, lang))}"
        yield [*history, {"role": "user", "content": text}, {"role": "assistant", "content": note}], keep, None
        return
    prior = engine_history(history, service.settings)
    history += [{"role": "user", "content": text}, {"role": "assistant", "content": words["searching"]}]
    index = len(history) - 1     # the answer's message: its [n] links and source cards name it
    panel: str | gr.components.Component | dict = keep
    yield history, panel, None

    started, answer_text, shown_text, fit, clock, flushed = time.monotonic(), "", "", "", -1, 0.0
    found: SourcesFound | None = None
    try:
        async for event in with_ticks(service.astream(space, text, prior, int(k), files=files or None)):
            now = time.monotonic()
            if isinstance(event, SourcesFound):
                found = event
                fit = fit_note(event.requested, len(event.sources), event.found, event.context_window, lang)
                items = to_stored(event.sources, [], text)
                panel = panel_html(items, lang, fit, index)
                yield history, panel, {"items": items, "note": fit, "lang": lang, "message": index, "partial": True}
                continue
            if isinstance(event, Token):
                answer_text += event.text
            if isinstance(event, AnswerDone):
                a = event.answer
                history[-1] = {"role": "assistant", "content": final_answer(a, index)}
                items = to_stored(a.sources, a.cited, text, a.citations)
                yield history, panel_html(items, lang, fit, index), {"items": items, "note": fit, "lang": lang,
                                                                     "message": index}
            elif answer_text:
                if answer_text != shown_text and (now - flushed >= FLUSH_S or event is None):
                    history[-1] = {"role": "assistant",
                                   "content": shown_answer(answer_text, index, len(found.sources) if found else 0)}
                    shown_text, flushed = answer_text, now
                    yield history, panel, gr.skip()
            elif found is not None and (isinstance(event, SourcesFound) or int(now - started) != clock):
                clock = int(now - started)
                history[-1] = {"role": "assistant", "content": words["reading"].format(
                    n=len(found.sources), fit=f"{fit} " if fit else "", s=clock)}
                yield history, panel, gr.skip()
    except (SpaceError, DocumentNotFound) as err:
        history[-1] = {"role": "assistant", "content": f"⚠️ {md_literal(str(err))}"}
        yield history, keep, None


def stopped(history: list[dict], space: str | None, saved, stored):
    """After Stop: the partial answer stays, marked as stopped (a status line is replaced), with the sources found
    so far, and the buttons come back."""
    history = list(history or [])
    if history and history[-1].get("role") == "assistant":
        question: dict = next((m for m in reversed(history) if m.get("role") == "user"), {})
        lang = detect_language(message_text(question.get("content")))
        partial = message_text(history[-1].get("content"))
        if any(partial.startswith(w[key].split("{")[0]) for w in STATUS.values() for key in ("searching", "reading")):
            partial = ""
        history[-1] = {"role": "assistant", "content": f"{partial}\n\n{STATUS[lang]['stopped']}".strip()}
    if space:
        sources = threads.thread_of(saved, space)[1]
        if isinstance(stored, dict) and stored.get("message") == len(history) - 1:
            sources = [*(sources + [None] * len(history))[:len(history) - 1], stored]
        saved = threads.save_thread(saved, space, history, sources)
    return history, saved, *buttons(False), False
