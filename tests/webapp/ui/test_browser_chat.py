"""What a first-time user hit in the chat (real Chromium; the LLM is a scripted endpoint so waits and answers are
deterministic, retrieval and the UI are real): a live status while waiting, Stop, typing ahead, why fewer sources
are shown, an empty space, each answer's sources kept across a reload, the last space remembered."""
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import ask, bot_messages, shot
from tests.support.paths import PROTOCOLS
from tests.support.services import start_app

pytestmark = pytest.mark.browser  # real Chromium; the LLM is the in-process scripted endpoint

AUDIT = "Сколько критических уязвимостей выявил аудит?"
HR = "Какая текучесть кадров за первый квартал?"


@pytest.fixture(scope="module")
def chat_app(stub_app):
    base, service, llm = stub_app
    service.create_space("аа первое")          # sorts first: a reload must still open the space used last
    service.create_space("чат")
    service.ingest_files("чат", [(p.name, p) for p in (PROTOCOLS / "protocol_001_audit_committee_meeting.txt",
                                                       PROTOCOLS / "protocol_007_hr_committee.txt")])
    yield base, service, llm
    llm.mode = "ok"


def test_live_status_then_stop_keeps_typed_text(chat_app, page):
    base, _, llm = chat_app
    llm.mode, llm.delay_s = "slow", 30.0
    cancelled = llm.cancelled
    page.goto(f"{base}/?space=чат", wait_until="networkidle")
    ask(page, AUDIT)
    last = bot_messages(page).last
    expect(last).to_contain_text("Найдено источников: 2", timeout=30_000)
    expect(last).to_contain_text(re.compile(r"читает их… [2-9] с"), timeout=15_000)   # the clock moves
    expect(page.locator("#stop")).to_be_visible()
    expect(page.locator("#send")).to_be_disabled()
    box = page.locator("#question textarea").first
    box.fill("следующий вопрос")
    box.press("Enter")                        # ignored while an answer streams, and the text stays
    page.locator("#stop").click()
    expect(last).to_contain_text("(Остановлено.)", timeout=10_000)
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#stop")).to_be_hidden()
    assert box.input_value() == "следующий вопрос"
    assert bot_messages(page).count() == 1
    page.wait_for_timeout(1000)
    assert llm.cancelled == cancelled + 1, "Stop must cancel the LLM request"
    llm.mode = "ok"


def test_typing_ahead_is_not_wiped_by_the_answer(chat_app, page):
    base, _, llm = chat_app
    llm.mode, llm.delay_s = "slow", 3.0
    page.goto(f"{base}/?space=чат", wait_until="networkidle")
    ask(page, AUDIT)
    box = page.locator("#question textarea").first
    expect(page.locator("#send")).to_be_disabled(timeout=10_000)
    box.fill("а кто ответственный?")
    expect(bot_messages(page).last).to_contain_text("Источники:", timeout=30_000)
    expect(page.locator("#send")).to_be_enabled()
    assert box.input_value() == "а кто ответственный?"
    llm.mode = "ok"
    box.press("Enter")
    expect(bot_messages(page)).to_have_count(2, timeout=30_000)
    expect(bot_messages(page).last).to_contain_text("Источники:", timeout=30_000)
    assert box.input_value() == ""


def test_each_answer_keeps_its_sources_across_a_reload(chat_app, page):
    base, _, _ = chat_app
    page.goto(f"{base}/?space=чат", wait_until="networkidle")
    panel = page.locator("#sources-panel")
    ask(page, AUDIT)
    expect(bot_messages(page).last).to_contain_text("Источники:", timeout=30_000)
    ask(page, HR)
    expect(bot_messages(page)).to_have_count(2, timeout=30_000)
    expect(bot_messages(page).last).to_contain_text("Источники:", timeout=30_000)
    first_of = lambda: panel.locator(".qc-source").first  # noqa: E731
    expect(first_of()).to_contain_text("protocol_007_hr_committee.txt")
    bot_messages(page).first.click()
    expect(first_of()).to_contain_text("protocol_001_audit_committee_meeting.txt")

    page.goto(f"{base}/", wait_until="networkidle")          # no ?space=: the last space used opens
    expect(page.locator("#space-selector input")).to_have_value("чат", timeout=15_000)
    expect(bot_messages(page)).to_have_count(2)
    expect(first_of()).to_contain_text("protocol_007_hr_committee.txt")
    bot_messages(page).first.click()
    expect(first_of()).to_contain_text("protocol_001_audit_committee_meeting.txt")


def test_an_empty_space_points_to_the_documents_tab(chat_app, page):
    base, service, _ = chat_app
    service.create_space("пустое")
    page.goto(f"{base}/?space=пустое", wait_until="networkidle")
    ask(page, AUDIT)
    expect(bot_messages(page).last).to_contain_text("пока нет документов", timeout=30_000)
    expect(bot_messages(page).last).to_contain_text("«Документы»")


def test_a_question_the_documents_do_not_touch_is_refused_without_the_llm(chat_app, page):
    """The abstention gate seen by a user: a Russian question none of whose words the space holds gets "not in the
    documents" at once, with no sources listed and no request to the LLM."""
    base, _, llm = chat_app
    asked = len(llm.requests)
    page.goto(f"{base}/?space=чат", wait_until="networkidle")
    ask(page, "Какой рецепт борща у бабушки Зинаиды?")
    expect(bot_messages(page).last).to_contain_text("В загруженных документах нет ответа", timeout=30_000)
    expect(page.locator("#send")).to_be_enabled()
    assert page.locator("#sources-panel .qc-source").count() == 0
    expect(page.locator("#sources-panel")).to_contain_text("По этому вопросу в документах ничего не найдено")
    assert len(llm.requests) == asked, "the gate answered without calling the LLM"
    shot(page, "chat_not_in_documents")
    ask(page, AUDIT)                                # the next, answerable question still reaches the LLM
    expect(page.locator("#sources-panel .qc-source").first).to_contain_text("protocol_001", timeout=30_000)
    expect(page.locator("#send")).to_be_enabled(timeout=30_000)
    assert len(llm.requests) > asked


def test_fewer_sources_than_asked_says_why(tmp_path_factory, fault_llm, page):
    service, server = start_app(tmp_path_factory.mktemp("small-context"), llm_base_url=fault_llm.base_url,
                                llm_model="fault-model", top_k=5, llm_context_window=1024, llm_max_tokens=128)
    service.ingest_files("мало", [(p.name, p) for p in sorted(PROTOCOLS.glob("protocol_00*.txt"))])
    with server as base:
        page.goto(f"{base}/?space=мало", wait_until="networkidle")
        ask(page, AUDIT)
        expect(bot_messages(page).last).to_contain_text("Источники:", timeout=30_000)
        note = page.locator("#sources-panel .qc-fit-note")
        expect(note).to_contain_text(re.compile(r"\d из 5 источников поместились в контекст модели \(1k токенов\)"))
        assert page.locator("#sources-panel .qc-source").count() < 5
    service.close()


def test_a_failed_answer_says_so_in_the_question_language_and_keeps_the_sources(chat_app, page):
    base, _, llm = chat_app
    llm.mode = "empty"
    try:
        page.goto(f"{base}/?space=чат", wait_until="networkidle")
        ask(page, AUDIT)
        expect(bot_messages(page).last).to_contain_text("Модель не закончила ответ", timeout=30_000)
        expect(page.locator("#sources-panel .qc-source").first).to_contain_text("protocol_001")
        expect(page.locator("#send")).to_be_enabled()
    finally:
        llm.mode = "ok"
