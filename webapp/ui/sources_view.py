"""The sources panel: each source's file, page, heading and the part of it that best matches the question, as
plain text (document text never renders as Markdown or HTML). A card opens the source viewer. Sources are stored
with each answer in the browser (with the passage, so the viewer can find it in the file), so any answer's sources
can be shown again."""
from __future__ import annotations

from rag import CitationCheck, Source, content_stems
from webapp.ui.citations import UNSUPPORTED, cite_ref, source_label
from webapp.ui.safe_text import html_text

SNIPPET_CHARS = 400
PASSAGE_CHARS = 3000     # of each source's text kept in the browser, for the viewer to locate it in the file

_LABELS = {
    "ru": {"empty": "Источников пока нет. Задайте вопрос о документах этого пространства.", "cited": "цитируется",
           "score": "оценка", "title": "Источники ответа",
           "nothing": "По этому вопросу в документах ничего не найдено."},
    "en": {"empty": "No sources yet. Ask a question about the documents in this space.", "cited": "cited",
           "score": "score", "title": "Sources of the answer",
           "nothing": "Nothing in the documents matched this question."},
}


def best_snippet(text: str, question: str, chars: int = SNIPPET_CHARS) -> str:
    """The part of a chunk that shares most words with the question, about `chars` long."""
    flat = " ".join(text.split())
    if len(flat) <= chars or not question:
        return flat[:chars]
    wanted = set(content_stems(question))
    step = max(40, chars // 4)
    starts = range(0, max(1, len(flat) - chars + step), step)
    best = max(starts, key=lambda i: (len(wanted & set(content_stems(flat[i:i + chars]))), -i))
    return ("…" if best else "") + flat[best:best + chars] + ("…" if best + chars < len(flat) else "")


def to_stored(sources: list[Source], cited: list[int], question: str,
              checks: list[CitationCheck] | None = None) -> list[dict]:
    """What the browser keeps of each source: enough to show it again and to find it in its file."""
    unsupported: dict[int, list[str]] = {}
    for c in checks or []:
        if c.supported is False:
            unsupported.setdefault(c.n, []).append(c.sentence)
    return [{"n": s.n, "file": s.file, "page": s.page, "heading": s.heading, "score": s.score,
             "snippet": best_snippet(s.text, question), "cited": s.n in cited, "text": s.text[:PASSAGE_CHARS],
             "unsupported": unsupported.get(s.n, [])[:3]} for s in sources]


def fit_note(requested: int, fitted: int, found: int, context_window: int | None, lang: str) -> str:
    """Why fewer sources than asked for are shown, or "" when all are; with none found, that nothing matched (not
    the panel's "ask a question" placeholder)."""
    if not found:
        return _LABELS.get(lang, _LABELS["en"])["nothing"]
    if fitted >= min(requested, found) or not context_window:
        return ""
    window = f"{context_window // 1024}k" if context_window % 1024 == 0 else str(context_window)
    if lang == "ru":
        return f"{fitted} из {min(requested, found)} источников поместились в контекст модели ({window} токенов)."
    return f"{fitted} of {min(requested, found)} sources fit the model's {window}-token context."


def label(stored: dict, lang: str) -> str:
    return source_label(stored.get("file", ""), int(stored["page"]) if stored.get("page") else None, lang)


def panel_html(stored: list[dict] | None, lang: str = "en", note: str = "", message: int = -1) -> str:
    """The cards of one answer's sources; with the chat message's index, each card opens the viewer."""
    labels = _LABELS.get(lang, _LABELS["en"])
    if not stored:
        return f'<div class="qc-sources qc-empty">{html_text(note or labels["empty"])}</div>'
    cards = []
    for s in stored:
        n = int(s["n"])
        cited = f' <span class="qc-cited">· {labels["cited"]}</span>' if s.get("cited") else ""
        heading = f'<div class="qc-heading">{html_text(s["heading"])}</div>' if s.get("heading") else ""
        flagged = "".join(f'<div class="qc-unsupported">⚠ {html_text(UNSUPPORTED.get(lang, UNSUPPORTED["en"]))}: '
                          f'{html_text(sentence)}</div>' for sentence in s.get("unsupported") or [])
        opens = (f' data-qc-cite="{cite_ref(message, n)}" tabindex="0" role="button"' if message >= 0 else "")
        cards.append(f'<div class="qc-source" data-n="{n}"{opens}><div class="qc-source-title"><b>[{n}] '
                     f'{html_text(label(s, lang))}</b>{cited}</div>{heading}{flagged}'
                     f'<div class="qc-score">{labels["score"]} {float(s.get("score") or 0):.3f}</div>'
                     f'<blockquote class="qc-snippet">{html_text(s.get("snippet", ""))}</blockquote></div>')
    head = f'<div class="qc-fit-note">{html_text(note)}</div>' if note else ""
    return f'<div class="qc-sources">{head}{"".join(cards)}</div>'
