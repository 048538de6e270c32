"""Citations you can check, in a real browser with the real embedded-class LLM (llama.cpp on the test model) and
real corpus files: create a Cyrillic space, upload a protocol, a PDF, a DOCX and a hostile file through the file
input; ask in Russian within the PDF only and watch the answer stream; open [1] in the viewer: the PDF's page as
an image with the passage boxed inside it, and the original to download. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from playwright.sync_api import expect

from tests.support.browser import shot
from tests.support.paths import CORPUS, PROTOCOLS
from tests.support.services import start_app

pytestmark = pytest.mark.browser

PDF = CORPUS / "test_summarization.pdf"
HOSTILE = '<img src=x onerror=alert(1)>.txt'
SPACE = "Проверка цитат"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("upload")
    protocol = folder / "protocol_004_board_meeting.txt"
    shutil.copy(PROTOCOLS / "protocol_004_board_meeting.txt", protocol)
    pdf = folder / PDF.name
    shutil.copy(PDF, pdf)
    docx = folder / "регламент_аудита.docx"
    doc = DocxDocument()
    doc.add_heading("Регламент внутреннего аудита", level=1)
    for line in (PROTOCOLS / "protocol_001_audit_committee_meeting.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc.add_paragraph(line.strip())
    doc.save(docx)
    hostile = folder / HOSTILE
    hostile.write_text("Пароль от Wi-Fi в переговорной: <script>alert(2)</script> QuadrateGuest2024.\n",
                       encoding="utf-8")
    return [protocol, pdf, docx, hostile]


@pytest.fixture(scope="module")
def real_app(tmp_path_factory, llama_server):
    service, server = start_app(tmp_path_factory.mktemp("sources"), llm_base_url=llama_server.base_url,
                                llm_model=llama_server.alias, llm_max_tokens=48, top_k=3,
                                llm_chars_per_token=llama_server.chars_per_token)
    with server as base:
        yield base, service
    service.close()


def test_upload_ask_in_the_pdf_and_check_the_citation_at_its_page(real_app, files, page):
    base, service = real_app
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base, wait_until="networkidle")
    page.locator("#new-space-name textarea, #new-space-name input").first.fill(SPACE)
    page.locator("#create-space").click()
    expect(page.locator("#space-selector input")).to_have_value(SPACE, timeout=15_000)

    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload-files input[type=file]").set_input_files([str(f) for f in files])
    expect(page.locator("#upload-summary")).to_contain_text("Done in", timeout=240_000)
    results = page.locator("#upload-results")
    for f in files[:3]:
        expect(results).to_contain_text(f.name)
    expect(results).to_contain_text("onerror=alert(1).txt")     # gradio's upload drops < and > from names
    assert len(service.documents(SPACE)) == 4
    assert page.locator("[onerror]").count() == 0
    shot(page, "documents")

    page.get_by_role("tab", name="Chat").click()
    page.locator("#filter-accordion").get_by_text("Search only in these documents").click()
    picker = page.locator("#only-files input").first
    picker.click()
    picker.fill("test_summ")
    page.get_by_role("option", name=PDF.name).click()
    page.keyboard.press("Escape")

    page.locator("#question textarea").first.fill("Как предлагается идентифицировать запросы выписки?")
    page.locator("#send").click()
    answer = page.locator("#chatbot [data-testid=bot]").last
    lengths: set[int] = set()
    expect(page.locator("#stop")).to_be_visible(timeout=30_000)
    while page.locator("#stop").is_visible():
        text = answer.inner_text() if answer.count() else ""
        if text and "Найдено" not in text and "Ищу" not in text:
            lengths.add(len(text))
        page.wait_for_timeout(150)
    assert len(lengths) >= 3, f"tokens must arrive incrementally, saw lengths {sorted(lengths)}"
    cards = page.locator("#sources-panel [data-qc-cite]")
    expect(cards.first).to_be_visible()
    assert all(PDF.name in cards.nth(i).inner_text() for i in range(cards.count())), "the filter was ignored"

    link = answer.locator('a[href^="#qc-cite-"]').first
    (link if link.count() else cards.first).click()
    viewer = page.locator("#source-viewer")
    expect(viewer).to_contain_text(PDF.name, timeout=30_000)
    image = viewer.locator(".qc-page-frame img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") > 300
    frame = image.bounding_box()
    boxes = viewer.locator(".qc-box")
    assert boxes.count() >= 1, "the cited passage is boxed on its page"
    for i in range(boxes.count()):
        box = boxes.nth(i).bounding_box()
        assert frame["x"] - 1 <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
        assert frame["y"] - 1 <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1
    page_shown = int(viewer.locator(".qc-viewer").get_attribute("data-page"))
    assert viewer.locator(".qc-view-note").count() == 0, "the passage was found on the page shown"
    expect(page.locator("#download-original")).to_be_visible()
    with page.expect_download() as download:
        page.locator("#download-original a").click()
    assert Path(download.value.path()).read_bytes() == PDF.read_bytes()
    assert 1 <= page_shown <= 12
    shot(page, "viewer_pdf")
    shot(page, "chat")
    assert not dialogs, dialogs
