"""What a reader does with an answer besides reading it: open a cited source in the viewer (with a link to download
the original, for those who may), rate the answer (thumbs up or down, then an optional comment), and share the
conversation as a read-only snapshot link."""
from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

import gradio as gr

from rag import Feedback, FeedbackSource, RagError, RagService, SharedTurn, Source, message_text, source_view
from webapp.auth.guard import Guard
from webapp.ui import threads
from webapp.ui.i18n import say, ui_language
from webapp.ui.rights import caller, page_origin, permitted, refusal
from webapp.ui.viewer import missing_html, placeholder_html, view_html

_REF = re.compile(r"^(\d+)-(\d+)")
_LINK = re.compile(r"\[\\\[(\d{1,2})\\\]\]\(#qc-cite-[^)]*\)")
_ESCAPED = re.compile(r"\\(.)")
SHARE_DAYS = 30


def answer_sources(saved, space: str | None, stored, message: int) -> dict | None:
    """The stored sources of chat message `message`: from the browser state, or the answer streaming now."""
    if isinstance(stored, dict) and stored.get("message") == message:
        return stored
    sources = threads.thread_of(saved, space)[1]
    entry = sources[message] if 0 <= message < len(sources) else None
    return entry if isinstance(entry, dict) else None


def download_link(space: str, file: str, lang: str) -> str:
    """A link to the original through the app's checked route (webapp/auth/pages.py): no copy in any cache."""
    href = f"ui/original/{quote(space, safe='')}/{quote(file)}"
    return f'<a href="{escape(href)}" download class="qc-download">{escape(say(lang, "download"))}</a>'


def open_source(service: RagService, guard: Guard, ref: str, space: str | None, saved, stored,
                request: gr.Request):
    """(viewer HTML, download link) for reference "<message>-<n>" of the current space's chat."""
    lang = ui_language(request)
    who = permitted(guard, request, space, "read")
    match = _REF.match(ref or "")
    entry = answer_sources(saved, space, stored, int(match.group(1))) if match and space else None
    item = next((s for s in (entry or {}).get("items", []) if int(s.get("n", 0)) == int(match.group(2))),
                None) if match else None
    if item is None or not space:
        return placeholder_html(lang), gr.update(visible=False, value="")
    lang = (entry or {}).get("lang") or lang
    n, file, passage = int(item["n"]), str(item.get("file", "")), str(item.get("text") or item.get("snippet", ""))
    page = int(item["page"]) if item.get("page") else None
    try:
        _, data = service.original(space, file)
        view = source_view(data, file, page, passage, lang)
    except RagError as err:   # no such document, no original kept, or a file the viewer cannot read
        return missing_html(n, file, passage, str(err), lang), gr.update(visible=False, value="")
    may_download = guard.access.allowed(who, space, "documents")
    return view_html(n, view, passage, lang), gr.update(value=download_link(space, file, lang) if may_download
                                                        else "", visible=may_download)


def plain_answer(markdown: str) -> str:
    """An answer as the chat shows it, back to plain text: [n] links to [n], Markdown escapes removed."""
    return _ESCAPED.sub(r"\1", _LINK.sub(r"[\1]", markdown)).strip()


def rate(service: RagService, guard: Guard, space: str | None, saved, stored, history: list[dict],
         data: gr.LikeData, request: gr.Request):
    """A thumbs up or down on an answer: kept with its question and sources; (notice, comment row, rating)."""
    lang = ui_language(request)
    permitted(guard, request, space, "read")
    index = data.index if isinstance(data.index, int) else data.index[0]
    history = list(history or [])
    if not space or not 0 <= index < len(history) or data.liked not in (True, False):
        return "", gr.update(visible=False), None
    question = next((message_text(m.get("content")) for m in reversed(history[:index]) if m.get("role") == "user"),
                    "")
    entry = answer_sources(saved, space, stored, index) or {}
    sources = [FeedbackSource(n=int(s["n"]), file=str(s.get("file", "")), page=s.get("page") or None,
                              cited=bool(s.get("cited"))) for s in entry.get("items", [])]
    try:
        kept = service.add_feedback(Feedback(
            space=space, rating=1 if data.liked else -1, question=question or "?", sources=sources,
            answer=plain_answer(message_text(history[index].get("content")))[:200_000],
            language=str(entry.get("lang") or "")))
    except RagError as err:
        return f"⚠️ {err}", gr.update(visible=False), None
    return say(lang, "feedback_thanks"), gr.update(visible=True), kept.model_dump(mode="json")


def comment(service: RagService, guard: Guard, text: str, rating, request: gr.Request):
    """The comment joins the rating just given; (notice, comment box, comment row)."""
    lang = ui_language(request)
    if not isinstance(rating, dict) or not (text or "").strip():
        return gr.update(), gr.update(), gr.update()
    permitted(guard, request, str(rating.get("space", "")), "read")
    service.add_feedback(Feedback.model_validate({**rating, "comment": text.strip()[:4000]}))
    return say(lang, "comment_saved"), "", gr.update(visible=False)


def conversation_turns(space: str | None, saved, history: list[dict]) -> list[SharedTurn]:
    """The chat's question-answer pairs with each answer's sources, for a snapshot."""
    sources = threads.thread_of(saved, space)[1]
    turns, question = [], None
    for i, message in enumerate(history or []):
        text = message_text(message.get("content"))
        if message.get("role") == "user":
            question = text
        elif question is not None and text:
            entry = sources[i] if i < len(sources) and isinstance(sources[i], dict) else {}
            items = [Source(n=int(s["n"]), file=str(s.get("file", "")), page=s.get("page") or None, score=0.0,
                            text=str(s.get("text") or s.get("snippet", ""))) for s in entry.get("items", [])]
            turns.append(SharedTurn(question=question, answer=plain_answer(text), sources=items))
            question = None
    return turns


def share_chat(guard: Guard, space: str | None, saved, history: list[dict], request: gr.Request) -> str:
    """A read-only link to this conversation (a snapshot; the link gives no access to the space)."""
    lang, who = ui_language(request), caller(guard, request)
    try:
        info = guard.access.share_conversation(who, space or "", conversation_turns(space, saved, history),
                                               SHARE_DAYS * 86400)
    except RagError as err:
        return f"⚠️ {refusal(err, lang)}"
    return say(lang, "chat_shared", url=f"{page_origin(request)}/c/{info.token}", days=SHARE_DAYS)
