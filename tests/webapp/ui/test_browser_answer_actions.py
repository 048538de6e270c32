"""What a reader does with an answer, in a real browser (the LLM is the scripted endpoint, so waits are exact;
retrieval, the store and the UI are real): Stop then Retry; thumbs down with a comment, exported by the CLI in
the eval-set format; a reload keeps the thread and its citations still open the viewer; an unsupported citation
is marked; the page in Russian; the phone layout; axe on the chat and documents panels."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.support.browser import ask, bot_messages
from tests.support.fault_llm import MODEL, Reply
from tests.support.paths import PROTOCOLS, ROOT
from tests.support.services import start_app
from tests.webapp.ui.test_browser_sources import shot

pytestmark = pytest.mark.browser

AUDIT = "Сколько критических уязвимостей выявил аудит?"
SUPPORTED = ["Выявлены ", "3 критических ", "уязвимости в системе ", "обработки платежей [1]."]
UNSUPPORTED = ["Бюджет ", "проекта ", "составил 99 ", "миллионов [1]."]


@pytest.fixture(scope="module")
def actions_app(stub_app):
    base, service, llm = stub_app
    service.ingest_files("действия", [("audit.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    yield base, service, llm
    llm.mode = "ok"


def test_stop_then_retry_gives_a_complete_answer(actions_app, page):
    base, _, llm = actions_app
    page.goto(f"{base}/?space=действия", wait_until="networkidle")
    llm.script(Reply(SUPPORTED, delay_s=30.0), Reply(SUPPORTED))
    asked = len(llm.requests)
    ask(page, AUDIT)
    expect(page.locator("#stop")).to_be_visible(timeout=15_000)
    expect(bot_messages(page).last).to_contain_text("Найдено источников", timeout=15_000)
    for _ in range(100):                     # Stop once the slow reply is the one being waited for
        if len(llm.requests) > asked:
            break
        page.wait_for_timeout(100)
    page.locator("#stop").click()
    expect(bot_messages(page).last).to_contain_text("(Остановлено.)", timeout=10_000)
    bot_messages(page).last.hover()
    page.locator("#chatbot").get_by_role("button", name="Retry").click()
    expect(bot_messages(page).last).to_contain_text("обработки платежей", timeout=30_000)
    expect(page.locator("#send")).to_be_enabled(timeout=15_000)
    assert bot_messages(page).count() == 1 and "Остановлено" not in bot_messages(page).last.inner_text()
    bot_messages(page).last.hover()
    expect(page.locator("#chatbot").get_by_role("button", name=re.compile("copy", re.I)).last).to_be_visible()
    assert page.locator("#chatbot [data-testid=user]").count() == 1


def test_a_reload_keeps_the_thread_and_its_citations_open_the_viewer(actions_app, page):
    base, _, llm = actions_app
    page.goto(f"{base}/?space=действия", wait_until="networkidle")
    llm.script(Reply(SUPPORTED), Reply(UNSUPPORTED))
    ask(page, AUDIT)
    expect(bot_messages(page).last).to_contain_text("Источники", timeout=30_000)
    expect(page.locator("#send")).to_be_enabled(timeout=15_000)
    ask(page, "А какой бюджет?")
    expect(bot_messages(page).nth(1)).to_contain_text("Источники", timeout=30_000)
    expect(page.locator("#send")).to_be_enabled(timeout=15_000)
    flagged = bot_messages(page).nth(1).locator('a[href$="-u"]')
    expect(flagged.first).to_be_visible()                                   # 99 million is not in the passage
    assert bot_messages(page).first.locator('a[href$="-u"]').count() == 0           # the supported one is not flagged
    expect(page.locator("#sources-panel")).to_contain_text("не подтверждается фрагментом")   # the question's language
    page.reload(wait_until="networkidle")
    expect(bot_messages(page)).to_have_count(2, timeout=15_000)
    bot_messages(page).first.locator('a[href^="#qc-cite-"]').first.click()
    viewer = page.locator("#source-viewer")
    expect(viewer).to_contain_text("audit.txt", timeout=15_000)
    expect(viewer.locator("mark")).to_contain_text("Выявлены 3 критических уязвимости")
    expect(page.locator("#download-original")).to_be_visible()


def test_thumbs_down_with_a_comment_is_exported_by_the_cli(tmp_path, fault_llm, chromium):
    service, server = start_app(tmp_path, llm_base_url=fault_llm.base_url, llm_model=MODEL, top_k=3)
    try:
        service.ingest_files("оценки", [("audit.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
        with server as base:
            context = chromium.new_context(viewport={"width": 1300, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/?space=оценки", wait_until="networkidle")
            fault_llm.script(Reply(UNSUPPORTED))
            ask(page, AUDIT)
            expect(page.locator("#send")).to_be_enabled(timeout=30_000)
            expect(bot_messages(page).last).to_contain_text("Источники")
            bot_messages(page).last.hover()
            page.locator("#chatbot").get_by_role("button", name="Dislike").click()
            expect(page.locator("#chat-notice")).to_contain_text("rating is saved", timeout=15_000)
            page.locator("#feedback-text textarea").fill("Про бюджет в протоколе ничего нет")
            page.locator("#feedback-send").click()
            expect(page.locator("#chat-notice")).to_contain_text("Comment saved", timeout=15_000)
            context.close()
    finally:
        service.close()
    env = {**os.environ, "QDRANT_PATH": str(tmp_path / "qdrant")}
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "feedback", "--space", "оценки", "--format", "jsonl"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [item] = [json.loads(line) for line in proc.stdout.splitlines()]
    assert item["rating"] == -1 and item["question"] == AUDIT and item["answer"] == ""
    assert item["comment"] == "Про бюджет в протоколе ничего нет"
    assert "99 миллионов [1]" in item["model_answer"] and item["cited_sources"][0]["file"] == "audit.txt"


def test_the_page_in_russian(actions_app, chromium):
    base, _, _ = actions_app
    context = chromium.new_context(locale="ru-RU", viewport={"width": 1300, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/?space=действия", wait_until="networkidle")
        expect(page.get_by_role("tab", name="Документы")).to_be_visible(timeout=15_000)
        expect(page.get_by_role("tab", name="Состояние")).to_be_visible()
        expect(page.locator("#send")).to_have_text("Отправить")
        expect(page.locator("#intro")).to_contain_text("Загрузите документы")
        expect(page.locator("#question textarea")).to_have_attribute("placeholder", "Например: Сколько критических "
                                                                                     "уязвимостей выявил аудит?")
        page.get_by_role("tab", name="Документы").click()
        expect(page.locator("#supported-types")).to_contain_text("Поддерживаются")
        shot(page, "documents_ru")
    finally:
        context.close()


def test_phone_width_has_no_horizontal_scrolling(actions_app, chromium):
    base, _, _ = actions_app
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                   device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{base}/?space=действия", wait_until="networkidle")
        for tab in ("Chat", "Documents", "Status"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(500)
            width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            assert width <= 390, f"{tab}: the page is {width} px wide at a 390 px screen"
            shot(page, f"phone_{tab.lower()}")
    finally:
        context.close()


def test_status_is_a_dashboard(actions_app, page):
    base, _, llm = actions_app
    page.goto(f"{base}/?space=действия", wait_until="networkidle")
    page.get_by_role("tab", name="Status").click()
    endpoints = page.locator("#status-endpoints")
    expect(endpoints).to_contain_text(llm.base_url.split("//")[1].split("/")[0], timeout=15_000)   # host:port
    expect(endpoints).to_contain_text(MODEL)
    expect(page.locator("#status-overall")).to_contain_text("embedded Qdrant Edge")
    expect(page.locator("#status-spaces")).to_contain_text("действия")
    figures = page.locator("#status-figures")
    expect(figures).to_contain_text("time to first token p50 / p95")
    expect(figures).to_contain_text("files ingested")
    shot(page, "status")


@pytest.mark.parametrize("tab", ["Chat", "Documents"])
def test_no_serious_accessibility_violations(actions_app, page, tab):
    base, _, _ = actions_app
    page.goto(f"{base}/?space=действия", wait_until="networkidle")
    page.get_by_role("tab", name=tab).click()
    page.wait_for_timeout(500)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                                     "nodes": [n["target"] for n in v["nodes"][:5]]} for v in serious],
                                   ensure_ascii=False, indent=1)
