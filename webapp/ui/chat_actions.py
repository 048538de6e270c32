"""What a reader does with an answer besides reading it: open a cited source in the viewer (with the original file
to download), and rate the answer (thumbs up or down, then an optional comment)."""
from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path, PurePosixPath

import gradio as gr

from rag import Feedback, FeedbackSource, RagError, RagService, message_text, source_view
from webapp.ui import threads
from webapp.ui.i18n import say, ui_language
from webapp.ui.viewer import missing_html, placeholder_html, view_html

_REF = re.compile(r"^(\d+)-(\d+)")
_LINK = re.compile(r"\[\\\[(\d{1,2})\\\]\]\(#qc-cite-[^)]*\)")
_ESCAPED = re.compile(r"\\(.)")
DOWNLOADS = Path(tempfile.gettempdir()) / "qc-originals"
KEEP_DOWNLOADS_S = 600


def answer_sources(saved, space: str | None, stored, message: int) -> dict | None:
    """The stored sources of chat message `message`: from the browser state, or the answer streaming now."""
    if isinstance(stored, dict) and stored.get("message") == message:
        return stored
    sources = threads.thread_of(saved, space)[1]
    entry = sources[message] if 0 <= message < len(sources) else None
    return entry if isinstance(entry, dict) else None


def _download_file(name: str, data: bytes) -> str:
    """The original under its own name in a folder of its own, for the download button; old ones are removed."""
    DOWNLOADS.mkdir(exist_ok=True)
    now = time.time()
    for old in DOWNLOADS.iterdir():
        if now - old.stat().st_mtime > KEEP_DOWNLOADS_S:
            for f in old.glob("*"):
                f.unlink(missing_ok=True)
            old.rmdir()
    folder = Path(tempfile.mkdtemp(dir=DOWNLOADS))
    path = folder / (PurePosixPath(name.replace("\\", "/")).name or "document")
    path.write_bytes(data)
    return str(path)


def open_source(service: RagService, ref: str, space: str | None, saved, stored, request: gr.Request):
    """(viewer HTML, download button) for reference "<message>-<n>" of the current space's chat."""
    lang = ui_language(request)
    match = _REF.match(ref or "")
    entry = answer_sources(saved, space, stored, int(match.group(1))) if match and space else None
    item = next((s for s in (entry or {}).get("items", []) if int(s.get("n", 0)) == int(match.group(2))),
                None) if match else None
    if item is None or not space:
        return placeholder_html(lang), gr.update(visible=False, value=None)
    lang = (entry or {}).get("lang") or lang
    n, file, passage = int(item["n"]), str(item.get("file", "")), str(item.get("text") or item.get("snippet", ""))
    page = int(item["page"]) if item.get("page") else None
    try:
        _, data = service.original(space, file)
        view = source_view(data, file, page, passage, lang)
    except RagError as err:   # no such document, no original kept, or a file the viewer cannot read
        return missing_html(n, file, passage, str(err), lang), gr.update(visible=False, value=None)
    return view_html(n, view, passage, lang), gr.update(value=_download_file(file, data), visible=True)


def plain_answer(markdown: str) -> str:
    """An answer as the chat shows it, back to plain text: [n] links to [n], Markdown escapes removed."""
    return _ESCAPED.sub(r"\1", _LINK.sub(r"[\1]", markdown)).strip()


def rate(service: RagService, space: str | None, saved, stored, history: list[dict], data: gr.LikeData,
         request: gr.Request):
    """A thumbs up or down on an answer: kept with its question and sources; (notice, comment row, rating)."""
    lang = ui_language(request)
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


def comment(service: RagService, text: str, rating, request: gr.Request):
    """The comment joins the rating just given; (notice, comment box, comment row)."""
    lang = ui_language(request)
    if not isinstance(rating, dict) or not (text or "").strip():
        return gr.update(), gr.update(), gr.update()
    service.add_feedback(Feedback.model_validate({**rating, "comment": text.strip()[:4000]}))
    return say(lang, "comment_saved"), "", gr.update(visible=False)
