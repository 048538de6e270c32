"""The page view on real PDFs: the corpus's 12-page Russian spec (chunked the way ingestion chunks it), PDFs drawn by
matplotlib with a real text layer (line-break hyphens, ё), a scan without text, a 408-page file, and garbage."""
import io
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import matplotlib
import pdfplumber
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from rag.errors import UnreadableFile
from rag.viewer import PageView, source_view
from rag.viewer.pdf_page import RENDER_MAX_PX, pdf_page_view
from tests.support.paths import CORPUS
from tests.support.scans import scanned_pdf

matplotlib.use("Agg")
SPEC = CORPUS / "test_summarization.pdf"


def words_of(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold().replace("ё", "е"))


def covered_words(data: bytes, view: PageView) -> list[str]:
    """The page's words whose centre lies under one of the view's boxes, in reading order."""
    with pdfplumber.open(io.BytesIO(data), pages=[view.page]) as pdf:
        page = pdf.pages[0]
        left, top, right, bottom = page.bbox
        found = []
        for word in page.extract_words(x_tolerance=1.5, y_tolerance=3):
            cx = ((word["x0"] + word["x1"]) / 2 - left) / (right - left)
            cy = ((word["top"] + word["bottom"]) / 2 - top) / (bottom - top)
            if any(b.x0 <= cx <= b.x1 and b.top <= cy <= b.bottom for b in view.boxes):
                found.extend(words_of(word["text"]))
    return found


def assert_highlights(data: bytes, view: PageView, passage: str) -> None:
    assert view.found and view.boxes
    image = Image.open(io.BytesIO(view.png))
    image.load()
    assert image.format == "PNG" and image.size == (view.width, view.height)
    for box in view.boxes:
        assert 0 <= box.x0 < box.x1 <= 1 and 0 <= box.top < box.bottom <= 1
    covered = covered_words(data, view)
    first = words_of(passage)[:40]
    assert sum(w in covered for w in first) >= 0.9 * len(first), (first, covered)
    wanted = set(words_of(passage))
    assert sum(w not in wanted for w in covered) <= 0.1 * len(covered)  # little beyond the passage is marked


@pytest.fixture(scope="module")
def spec(chunks_of):
    data = SPEC.read_bytes()
    return data, chunks_of(data, SPEC.name)


def test_a_chunk_from_page_2_is_highlighted(spec):
    data, chunks = spec
    chunk = [c for c in chunks if c.page == 2][1]  # the second chunk of page 2: the page holds more than it
    started = time.perf_counter()
    view = source_view(data, "docs/test_summarization.pdf", chunk.page, chunk.text)
    elapsed = time.perf_counter() - started
    assert isinstance(view, PageView) and view.file == "docs/test_summarization.pdf"
    assert (view.page, view.pages) == (2, 12)
    assert_highlights(data, view, chunk.text)
    assert "page" not in covered_words(data, view)  # the "Page 2 of 12" line is not the passage
    assert 5 <= len(view.boxes) <= 40  # one box per line, not per word
    assert max(view.width, view.height) == 1170  # A4 at 100 dpi
    assert elapsed < 3, elapsed
    assert PageView.model_validate_json(view.model_dump_json()) == view  # the PNG travels as base64 in JSON


def test_without_a_page_or_with_a_wrong_one_the_right_page_is_found(spec):
    data, chunks = spec
    for chunk in chunks:
        view = pdf_page_view(data, SPEC.name, None, chunk.text)
        assert (view.page, view.found) == (chunk.page, True), chunk.text[:80]
    chunk = next(c for c in chunks if c.page == 5)
    view = pdf_page_view(data, SPEC.name, 9, chunk.text)
    assert view.page == 5
    assert_highlights(data, view, chunk.text)


def test_a_passage_not_in_the_file_is_not_found(spec):
    data, _ = spec
    absent = "Квантовая криптография для спутниковой связи с Марсом обсуждалась на совете директоров в пятницу."
    view = pdf_page_view(data, SPEC.name, 3, absent)
    assert (view.page, view.found, view.boxes) == (3, False, [])
    assert Image.open(io.BytesIO(view.png)).size == (view.width, view.height)
    assert pdf_page_view(data, SPEC.name, 99, absent).page == 12  # clamped to the file
    assert pdf_page_view(data, SPEC.name, None, absent).page == 1
    assert pdf_page_view(data, SPEC.name, 0, absent).page == 1


def test_views_in_parallel_threads_agree_with_one_by_one(spec):
    """pdfium is not thread-safe: the viewer serialises its calls, so concurrent requests neither crash nor mix."""
    data, chunks = spec
    with ThreadPoolExecutor(4) as pool:
        views = list(pool.map(lambda c: pdf_page_view(data, SPEC.name, c.page, c.text), chunks))
    assert [(v.page, v.found) for v in views] == [(c.page, True) for c in chunks]
    assert views[5] == pdf_page_view(data, SPEC.name, chunks[5].page, chunks[5].text)


def draw_pdf(pages: list[list[str]], size: tuple[float, float] = (8.27, 11.69)) -> bytes:
    """A PDF with a real text layer (TrueType glyphs with a Unicode map): one list of lines per page."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf) as pdf:
        for lines in pages:
            fig = plt.figure(figsize=size)
            for i, line in enumerate(lines):
                fig.text(0.08, 0.92 - i * 0.03, line, fontsize=11)
            pdf.savefig(fig)
            plt.close(fig)
    return buf.getvalue()


def test_line_break_hyphens_yo_and_punctuation_do_not_break_matching():
    filler = ["Раздел 1. Общие положения настоящего регламента.", "Документ утверждён правлением банка."]
    body = ["Комитет рассмотрел вопросы органи-", "зации работ по внедрению системы:",
            "выявлены три критические уязвимости, ёмкость", "хранилища — 40 ТБ; срок устранения до 30.04.2024."]
    data = draw_pdf([filler, [*filler, "", *body, "", "Прочие вопросы не рассматривались."]])
    passage = ("Комитет рассмотрел вопросы организации работ по внедрению системы: выявлены три критические "
               "уязвимости, емкость хранилища - 40 ТБ, срок устранения до 30.04.2024")
    view = pdf_page_view(data, "протокол.pdf", None, passage)
    assert (view.page, view.pages) == (2, 2)
    assert_highlights(data, view, passage)
    assert len(view.boxes) == 4  # the four lines of the passage, one box each
    assert "прочие" not in covered_words(data, view) and "раздел" not in covered_words(data, view)


def test_a_scan_renders_without_boxes():
    scan = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi, no text layer
    buf = io.BytesIO()
    scan.save(buf, format="PDF", resolution=150)
    view = source_view(buf.getvalue(), "скан.pdf", 1, "Выявлены три критические уязвимости")
    assert (view.found, view.boxes, view.pages) == (False, [], 1)
    assert Image.open(io.BytesIO(view.png)).size == (view.width, view.height) == (827, 1170)


def test_a_huge_page_is_rendered_within_the_bound():
    data = draw_pdf([["Схема здания: этаж 1, серверная."]], size=(33.1, 46.8))  # A0
    view = pdf_page_view(data, "poster.pdf", 1, "Схема здания: этаж 1, серверная.", resolution=200)
    assert view.found and max(view.width, view.height) == RENDER_MAX_PX


def test_a_known_page_of_a_long_file_is_cheap(spec):
    data, chunks = spec
    writer = PdfWriter()
    reader = PdfReader(io.BytesIO(data))
    for _ in range(34):
        for page in reader.pages:
            writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    chunk = next(c for c in chunks if c.page == 4)
    started = time.perf_counter()
    view = pdf_page_view(buf.getvalue(), "big.pdf", 400, chunk.text)  # page 400 is a copy of page 4
    elapsed = time.perf_counter() - started
    assert (view.page, view.pages, view.found) == (400, 408, True)
    assert elapsed < 2, elapsed  # parsing all 408 pages with pdfplumber takes over 10 s here


@pytest.mark.parametrize(("data", "reason"), [
    (b"this is not a pdf, just some words" * 20, "wrong_type"),
    (b"PK\x03\x04" + b"\x00" * 100, "wrong_type"),
    (b"%PDF-1.7\n" + b"\x8f garbage \x00" * 200, "damaged"),
    (b"", "empty"),
])
def test_garbage_pdf_raises(data, reason):
    with pytest.raises(UnreadableFile) as caught:
        source_view(data, "report.pdf", 1, "что угодно")
    assert caught.value.reason == reason


def test_a_password_protected_pdf_raises(spec):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(spec[0])))
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(UnreadableFile) as caught:
        source_view(buf.getvalue(), "locked.pdf", 2, "x-request-id равен request_id")
    assert caught.value.reason == "encrypted"


@pytest.mark.skipif(not shutil.which("tesseract"), reason="tesseract is not installed (make test installs it)")
def test_a_scanned_page_gets_boxes_from_ocr():
    from rag.ingest.readers import read_sections

    data = scanned_pdf()
    ocr_text = "\n".join(s.text for s in read_sections(data, "скан.pdf"))   # what ingestion indexed
    passage = next(line for line in ocr_text.splitlines() if "уязвим" in line)
    view = source_view(data, "скан.pdf", 1, passage)
    assert view.found and view.boxes, (passage, ocr_text)
    for box in view.boxes:   # on the second line of the page: 410..466 px of 3508
        assert 0.10 < box.top < box.bottom < 0.15 and 0.05 < box.x0 < box.x1 < 0.7, box
