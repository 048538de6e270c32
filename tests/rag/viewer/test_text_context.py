"""The text view on real files: corpus TXT, Markdown and CSV, and DOCX, PPTX, XLSX, HTML, CSV and EML files built
in each format's own library from a corpus presentation. Each cited chunk is made the way ingestion makes it."""
import email.message
import io
import re

import docx
import openpyxl
import pytest
from pptx import Presentation

from rag.errors import UnreadableFile
from rag.ingest.readers import read_sections
from rag.viewer import TextView, source_view, text_view
from tests.support.paths import CORPUS

DECK = CORPUS / "presentations" / "presentation_016_sustainable_finance_strategy.txt"


def norm(text: str) -> str:
    return " ".join(text.split())


def slides() -> list[tuple[str, list[str]]]:
    """The corpus presentation's slides: (title, body lines)."""
    found = re.findall(r"^(СЛАЙД \d+: [^\n]+)\n═+\n(.*?)(?=\n═|\Z)", DECK.read_text(), flags=re.M | re.S)
    assert len(found) >= 10
    return [(title, [line for line in body.splitlines() if line.strip()]) for title, body in found]


def document_text(data: bytes, name: str) -> str:
    return norm("\n\n".join(s.text.strip() for s in read_sections(data, name) if s.text.strip()))


def assert_shown(view: TextView, chunk, data: bytes, name: str, middle: bool = True) -> None:
    assert isinstance(view, TextView) and view.found, view
    assert norm(view.passage) == norm(chunk.text)
    if middle:
        assert view.before.strip() and view.after.strip()
        assert view.before.startswith("…") or len(view.before) < 1200
        assert len(view.before) <= 1202 and len(view.after) <= 1202
    shown = norm(view.before.removeprefix("…") + view.passage + view.after.removesuffix("…"))
    assert shown in document_text(data, name)  # the context is the document's own text around the passage


def middle_chunk(chunks):
    assert len(chunks) >= 3, len(chunks)
    return chunks[len(chunks) // 2]


def test_txt_from_the_corpus(chunks_of):
    path = CORPUS / "email_correspondence" / "email_thread_004_team_management.txt"
    data = path.read_bytes()
    chunk = middle_chunk(chunks_of(data, path.name))
    view = source_view(data, f"email_correspondence/{path.name}", None, chunk.text)
    assert_shown(view, chunk, data, path.name)
    assert view.location == "" and view.file == f"email_correspondence/{path.name}"
    # whitespace of the cited text may differ from the file's
    assert text_view(data, path.name, None, norm(chunk.text)).passage == view.passage


def test_markdown_from_the_corpus_shows_the_heading(chunks_of):
    path = CORPUS / "SUMMARIZATION_COMPLETE_GUIDE.md"
    data = path.read_bytes()
    chunks = chunks_of(data, path.name)
    chunk = next(c for c in chunks[len(chunks) // 2:] if c.heading)
    view = source_view(data, path.name, None, chunk.text)
    assert_shown(view, chunk, data, path.name)
    assert view.location == chunk.heading


def test_docx_shows_the_heading(chunks_of):
    document = docx.Document()
    for title, lines in slides():
        document.add_heading(title, level=1)
        for line in lines:
            document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    data = buf.getvalue()
    chunk = middle_chunk(chunks_of(data, "стратегия.docx"))
    view = source_view(data, "docs/стратегия.docx", None, chunk.text, lang="ru")
    assert_shown(view, chunk, data, "стратегия.docx")
    assert view.location == chunk.heading and view.location.startswith("СЛАЙД ")


def make_pptx(deck_slides) -> bytes:
    deck = Presentation()
    for title, lines in deck_slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = "\n".join(lines)
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def test_pptx_shows_the_slide(chunks_of):
    data = make_pptx(slides())
    chunks = chunks_of(data, "deck.pptx")
    chunk = middle_chunk(chunks)
    assert chunk.page and chunk.page > 1
    view = source_view(data, "deck.pptx", chunk.page, chunk.text)
    assert_shown(view, chunk, data, "deck.pptx")
    assert view.location == f"slide {chunk.page} · {chunk.heading}"
    assert source_view(data, "deck.pptx", chunk.page, chunk.text, lang="ru").location == \
        f"слайд {chunk.page} · {chunk.heading}"


def test_the_page_settles_which_of_two_equal_slides_is_shown(chunks_of):
    body = ["Бюджет программы: 45 млн руб.", "Срок: до конца 2025 года", "Ответственный: Сидоров А.В."]
    data = make_pptx([("Итоги", body), ("Планы", ["Запуск пилота в марте"]), ("Итоги", body)])
    chunk = chunks_of(data, "deck.pptx")[2]
    assert chunk.page == 3
    assert text_view(data, "deck.pptx", 3, chunk.text).location == "slide 3 · Итоги"
    assert text_view(data, "deck.pptx", 1, chunk.text).location == "slide 1 · Итоги"


def table_rows() -> list[list[str]]:
    return [[f"Задача {i}", ["PMO", "Data", "Core"][i % 3], f"2025-{i % 12 + 1:02d}-15", ["done", "planned"][i % 2],
             f"Описание работ по этапу {i}: согласование, разработка и приёмка результатов."] for i in range(1, 41)]


def test_xlsx_shows_sheet_and_rows(chunks_of):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "План"
    sheet.append(["Задача", "Ответственный", "Срок", "Статус", "Описание"])
    for row in table_rows():
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    chunks = chunks_of(data, "plan.xlsx")
    chunk = chunks[1]
    assert chunk.extra["rows"] == "10-17"
    view = source_view(data, "plan.xlsx", None, chunk.text, lang="ru")
    assert_shown(view, chunk, data, "plan.xlsx")
    assert view.location == "План · строки 10-17"
    assert view.passage.startswith("План: Задача: Задача 9;")  # row 1 is the header: row 10 holds task 9
    assert view.before.endswith("по этапу 8: согласование, разработка и приёмка результатов.\n\n")
    assert view.after.startswith("\n\nПлан: Задача: Задача 17;")


def test_csv_shows_rows_and_the_corpus_csv_is_found(chunks_of):
    lines = ["task;owner;due;status;note", *(";".join(row) for row in table_rows())]
    data = "\n".join(lines).encode("cp1251")
    chunk = chunks_of(data, "plan.csv")[2]
    view = source_view(data, "plan.csv", None, chunk.text)
    assert_shown(view, chunk, data, "plan.csv")
    assert view.location == "rows 18-25"

    path = CORPUS / "tasks.csv"
    (only,) = chunks_of(path.read_bytes(), path.name)
    view = source_view(path.read_bytes(), path.name, None, only.text)
    assert view.found and norm(view.passage) == norm(only.text) and view.location == "rows 2-4"
    assert view.before == "" and view.after == ""


def test_html_shows_the_heading(chunks_of):
    parts = ["<html><head><title>Стратегия</title><style>p{color:red}</style></head><body>"]
    for title, lines in slides():
        parts.append(f"<h2>{title}</h2>" + "".join(f"<p>{line}</p>" for line in lines))
    data = ("".join(parts) + "</body></html>").encode()
    chunk = middle_chunk(chunks_of(data, "page.html"))
    view = source_view(data, "page.html", None, chunk.text)
    assert_shown(view, chunk, data, "page.html")
    assert view.location == chunk.heading and view.location.startswith("СЛАЙД ")
    assert "color" not in view.before + view.after


def test_eml_body_and_attachment(chunks_of):
    thread = (CORPUS / "email_correspondence" / "email_thread_003_budget_discussion.txt").read_text()
    document = docx.Document()
    for title, lines in slides()[:4]:
        document.add_heading(title, level=1)
        for line in lines:
            document.add_paragraph(line)
    attached = io.BytesIO()
    document.save(attached)
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a.sidorov@technobank.ru", "m.petrov@technobank.ru", "Бюджет 2024"
    msg.set_content(thread)
    msg.add_attachment(attached.getvalue(), maintype="application", subtype="octet-stream", filename="стратегия.docx")
    data = msg.as_bytes()
    chunks = chunks_of(data, "mail.eml")
    body = [c for c in chunks if not c.extra.get("attachment")]
    chunk = middle_chunk(body)
    view = source_view(data, "mail.eml", None, chunk.text, lang="ru")
    assert_shown(view, chunk, data, "mail.eml")
    assert view.location == "Бюджет 2024"

    chunk = next(c for c in chunks if c.extra.get("attachment") and c.heading.endswith(slides()[2][0]))
    view = source_view(data, "mail.eml", None, chunk.text)
    assert_shown(view, chunk, data, "mail.eml")
    assert view.location == f"стратегия.docx: {slides()[2][0]}"


def test_a_passage_changed_a_little_is_found_by_its_words(chunks_of):
    path = CORPUS / "protocols" / "protocol_018_ai_governance.txt"
    data = path.read_bytes()
    chunk = chunks_of(data, path.name)[0]
    words = chunk.text.split()
    changed = " ".join(w for i, w in enumerate(words) if i % 7 != 3)  # every 7th word lost
    assert changed not in data.decode()
    view = text_view(data, path.name, None, changed)
    assert view.found
    shown = set(norm(view.passage).split())
    assert len(shown & set(words)) >= 0.9 * len(set(words))
    assert len(view.passage) <= 1.2 * len(chunk.text)


def test_a_passage_not_in_the_file_is_not_found():
    path = CORPUS / "notes_meeting.txt"
    view = text_view(path.read_bytes(), path.name, None, "Квантовая криптография для спутниковой связи Марса")
    assert not view.found and view.passage == "" and view.before == ""
    assert norm(view.after) == norm(path.read_text())


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("report.docx", b"this is not a word file at all" * 10, "wrong_type"),
    ("report.docx", b"PK\x03\x04" + b"\x00" * 200, "damaged"),
    ("deck.pptx", b"", "empty"),
    ("tool.exe", b"MZ\x90\x00", "unsupported"),
    ("notes.txt", b"text\x00with\x00nul\x00bytes", "wrong_type"),
])
def test_unreadable_bytes_raise(name, data, reason):
    with pytest.raises(UnreadableFile) as caught:
        source_view(data, name, None, "что угодно")
    assert caught.value.reason == reason
