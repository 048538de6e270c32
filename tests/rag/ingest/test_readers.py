"""Format readers on real files: generated in each format's own library, and the fixture documents shipped inside
the python-docx, python-pptx and ocrmypdf source packages."""
import difflib
import email.message
import io
import shutil

import openpyxl
import pytest
from pptx import Presentation

from rag.ingest.readers import read_sections
from rag.ingest.sections import ReadOptions
from tests.support.scans import SCANNED_LINES, scanned_pdf


def read(path_or_bytes, name=None):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return list(read_sections(data, name or path_or_bytes.name))


def test_pptx_slide_number_is_the_page():
    deck = Presentation()
    for i, title in enumerate(["Стратегия", "Бюджет", "Риски"], start=1):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = f"Пункт слайда {i}: бюджет {i * 10} млн руб."
    buf = io.BytesIO()
    deck.save(buf)
    sections = read(buf.getvalue(), "deck.pptx")
    assert [(s.page, s.heading) for s in sections] == [(1, "Стратегия"), (2, "Бюджет"), (3, "Риски")]
    assert "бюджет 20 млн руб." in sections[1].text


def test_real_pptx_and_docx_fixtures_all_read(sdists):
    files = sorted(sdists.glob("python_pptx-*/features/steps/test_files/*.pptx")) + \
        sorted(sdists.glob("python_docx-*/features/steps/test_files/*.docx"))
    assert len(files) > 50
    texts = 0
    for path in files:
        sections = read(path)  # none may raise anything but a clear UnreadableFile
        texts += any(s.text.strip() for s in sections)
    assert texts > 30


def test_xlsx_rows_become_records():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Задачи"
    sheet.append(["Задача", "Ответственный", "Статус"])
    sheet.append(["Утверждение архитектуры", "PMO", "done"])
    sheet.append(["Импорт справочников", "Data", "in_progress"])
    buf = io.BytesIO()
    book.save(buf)
    sections = read(buf.getvalue(), "tasks.xlsx")
    text = "\n".join(s.text for s in sections)
    assert "Задача: Утверждение архитектуры; Ответственный: PMO; Статус: done" in text
    assert sections[0].heading == "Задачи" and sections[0].extra["rows"] == "2-3"


@pytest.mark.parametrize("rows,refused", [(10, False), (11, True)])
def test_a_table_over_max_table_rows_is_refused_before_a_row_is_read(rows, refused):
    """A CSV of a million rows under MAX_FILE_MB became 125,000 chunks: about a day of embedding on 2 cores."""
    from rag.errors import UnreadableFile

    options = ReadOptions(max_table_rows=10)
    csv = ("id;amount\n" + "".join(f"{i};{i * 10}\n" for i in range(rows))).encode()
    book = openpyxl.Workbook()
    book.active.title = "Платежи"
    book.active.append(["id", "amount"])
    for i in range(rows):
        book.active.append([i, i * 10])
    xlsx = io.BytesIO()
    book.save(xlsx)
    for data, name, said in ((csv, "t.csv", f"the table has {rows} rows"),
                             (xlsx.getvalue(), "t.xlsx", f"sheet Платежи has {rows} rows")):
        if not refused:
            assert "amount: 90" in "\n".join(s.text for s in read_sections(data, name, options))
            continue
        with pytest.raises(UnreadableFile, match="MAX_TABLE_ROWS") as err:
            next(iter(read_sections(data, name, options)))
        assert said in str(err.value) and err.value.reason == "too_large"
    if refused:      # a sheet that states no size is stopped while its rows are read
        from rag.ingest.readers import rows_as_records

        with pytest.raises(UnreadableFile, match="more than 10 rows"):
            list(rows_as_records(["id"], iter([(i, [i]) for i in range(rows)]), limit=10))


def test_html_drops_scripts_and_styles():
    html = ("<html><head><title>Отчёт</title><style>body{color:red}</style><script>var secret=1;</script></head>"
            "<body><h1>Итоги</h1><p>Выручка выросла на 12%.</p><script>alert(2)</script><ul><li>Пункт</li></ul>"
            "</body></html>").encode()
    sections = read(html, "page.html")
    text = "\n".join(s.text for s in sections)
    assert "Выручка выросла на 12%." in text and "Пункт" in text
    assert "secret" not in text and "color" not in text and "alert" not in text
    assert sections[-1].heading == "Итоги"


def test_eml_headers_body_and_attachments():
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ivanov@bank.ru", "petrov@bank.ru", "Бюджет на 2025"
    msg.set_content("Коллеги, бюджет утверждён: 15 млн руб.")
    msg.add_attachment("Приложение: график работ до 1 марта.".encode(), maintype="text", subtype="plain",
                       filename="график.txt")
    msg.add_attachment(b"MZ\x00", maintype="application", subtype="octet-stream", filename="tool.exe")
    sections = read(msg.as_bytes(), "mail.eml")
    assert "From: ivanov@bank.ru" in sections[0].text and "15 млн руб." in sections[0].text
    assert sections[0].heading == "Бюджет на 2025"
    attached = [s for s in sections if s.extra.get("attachment") == "график.txt"]
    assert attached and "1 марта" in attached[0].text
    assert not any("tool.exe" in (s.extra.get("attachment") or "") for s in sections)


def test_a_mail_forwarded_as_an_attachment_is_read():
    """Mail clients forward a mail as a message/rfc822 part, without a file name: it was skipped unread."""
    forwarded = email.message.EmailMessage()
    forwarded["From"], forwarded["To"], forwarded["Subject"] = "cfo@bank.ru", "ivanov@bank.ru", "Смета"
    forwarded.set_content("Смета согласована: 4,2 млн руб. до 1 апреля.")
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ivanov@bank.ru", "petrov@bank.ru", "Fwd: Смета"
    msg.set_content("Пересылаю письмо финансового директора.")
    msg.add_attachment(forwarded)
    sections = read(msg.as_bytes(), "fwd.eml")
    inner = [s for s in sections if s.extra.get("attachment") == "Смета.eml"]
    assert inner and "4,2 млн руб." in inner[0].text and "From: cfo@bank.ru" in inner[0].text


@pytest.mark.parametrize("encoding", ["cp1251", "utf-16", "koi8-r"])
def test_text_encodings_come_out_as_russian(encoding):
    text = "Протокол заседания комитета по аудиту. Выявлены три уязвимости в системе платежей. " * 3
    sections = read(text.encode(encoding), "win.txt")
    assert sections[0].text == text


needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")


@pytest.mark.slow
@needs_tesseract
def test_ocr_on_a_real_scanned_page(sdists):
    pdf = next(sdists.glob("ocrmypdf-*/tests/resources/linn.pdf"))
    expected = pdf.with_suffix(".txt").read_text()
    sections = read(pdf)
    assert sections[0].page == 1 and sections[0].extra.get("ocr")
    ratio = difflib.SequenceMatcher(None, " ".join(expected.split()), " ".join(sections[0].text.split())).ratio()
    assert ratio > 0.9, ratio


@needs_tesseract
def test_ocr_reads_a_scanned_russian_page():
    lines = SCANNED_LINES
    sections = read(scanned_pdf(), "скан.pdf")
    got = " ".join(" ".join(s.text for s in sections).split())
    ratio = difflib.SequenceMatcher(None, " ".join(lines), got).ratio()
    assert ratio > 0.95, (ratio, got)


def test_scanned_page_without_ocr_is_reported(sdists):
    path = next(sdists.glob("ocrmypdf-*/tests/resources/linn.pdf"))
    sections = list(read_sections(path.read_bytes(), path.name, ReadOptions(ocr_enabled=False)))
    assert sections[0].text == "" and "OCR is off" in sections[0].extra["warning"]
