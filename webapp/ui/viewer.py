"""The source viewer's HTML: a PDF page as an image with the cited words boxed over it, or the cited passage marked
in its surrounding text, with the file, page, heading, slide or rows. Everything from a document is escaped text;
the page image is a PNG the app rendered (a data: URI), never a document's own markup."""
from __future__ import annotations

import base64

from rag import PageView, TextView
from webapp.ui.safe_text import html_text

WORDS = {
    "en": {"page": "page {page} of {pages}", "not_found": "The passage was not found on this page: the page the "
           "index names is shown.", "not_found_text": "The passage was not found in the file as it is now: the "
           "excerpt the answer used is shown.", "pick": "Click a citation [n] in an answer, or a source, to see "
           "it in its file.", "missing": "The original file is not available: {why}", "image": "Page {page} of "
           "{file}, the cited passage highlighted"},
    "ru": {"page": "стр. {page} из {pages}", "not_found": "Фрагмент не найден на этой странице: показана "
           "страница, указанная в индексе.", "not_found_text": "Фрагмент не найден в файле в нынешнем виде: "
           "показан отрывок, который использовал ответ.", "pick": "Нажмите ссылку [n] в ответе или источник, "
           "чтобы увидеть его в файле.", "missing": "Исходный файл недоступен: {why}", "image": "Страница "
           "{page} файла {file}, цитируемый фрагмент выделен"},
}


def _words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def _title(n: int, file: str, location: str) -> str:
    where = f" · {html_text(location)}" if location else ""
    return f'<div class="qc-view-title"><b>[{int(n)}] {html_text(file)}</b>{where}</div>'


def page_html(n: int, view: PageView, lang: str) -> str:
    w = _words(lang)
    png = base64.b64encode(view.png).decode("ascii")
    boxes = "".join(
        f'<div class="qc-box" style="left:{b.x0 * 100:.3f}%;top:{b.top * 100:.3f}%;'
        f'width:{(b.x1 - b.x0) * 100:.3f}%;height:{(b.bottom - b.top) * 100:.3f}%"></div>' for b in view.boxes)
    note = "" if view.found else f'<div class="qc-view-note">{html_text(w["not_found"])}</div>'
    alt = html_text(w["image"].format(page=view.page, file=view.file))
    return (f'<div class="qc-viewer" data-kind="page" data-page="{int(view.page)}">'
            f'{_title(n, view.file, w["page"].format(page=view.page, pages=view.pages))}{note}'
            f'<div class="qc-page-frame"><img src="data:image/png;base64,{png}" alt="{alt}" '
            f'width="{int(view.width)}" height="{int(view.height)}">{boxes}</div></div>')


def text_html(n: int, view: TextView, fallback: str, lang: str) -> str:
    w = _words(lang)
    passage = view.passage if view.found else fallback
    note = "" if view.found else f'<div class="qc-view-note">{html_text(w["not_found_text"])}</div>'
    before, after = (view.before, view.after) if view.found else ("", "")
    return (f'<div class="qc-viewer" data-kind="text">{_title(n, view.file, view.location)}{note}'
            f'<div class="qc-context">{html_text(before)}<mark>{html_text(passage)}</mark>{html_text(after)}'
            f'</div></div>')


def view_html(n: int, view: PageView | TextView, passage: str, lang: str) -> str:
    return page_html(n, view, lang) if isinstance(view, PageView) else text_html(n, view, passage, lang)


def placeholder_html(lang: str) -> str:
    return f'<div class="qc-viewer qc-empty">{html_text(_words(lang)["pick"])}</div>'


def missing_html(n: int, file: str, passage: str, why: str, lang: str) -> str:
    """The original cannot be shown: the excerpt the answer used, as text."""
    return (f'<div class="qc-viewer" data-kind="excerpt">{_title(n, file, "")}<div class="qc-view-note">'
            f'{html_text(_words(lang)["missing"].format(why=why))}</div>'
            f'<div class="qc-context"><mark>{html_text(passage)}</mark></div></div>')
