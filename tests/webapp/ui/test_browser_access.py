"""Access in a real browser (AUTH=local, the scripted LLM): signing in, seeing only your spaces and only the
controls your role allows, signing out; an owner making a share link that a fresh browser opens without an
account into a chat-only view of that one space; and a conversation shared as a read-only page."""
import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.access import PASSWORD
from tests.support.browser import ask, bot_messages, shot

pytestmark = pytest.mark.browser
QUESTION = "Сколько критических уязвимостей выявил аудит?"


def sign_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/?space=A")
    expect(page.locator("#login-form")).to_be_visible(timeout=15_000)
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#account-bar")).to_contain_text(name, timeout=15_000)


def test_a_viewer_signs_in_sees_only_their_space_and_what_their_role_allows(access_world, page):
    base = access_world[0]
    sign_in(page, base, "viewer")
    expect(page.locator("#space-selector input")).to_have_value("A")
    page.locator("#space-selector input").click()
    options = page.get_by_role("option")
    expect(options).to_have_count(1)
    assert [t.split()[-1] for t in options.all_inner_texts()] == ["A"]    # "✓ A": the chosen one
    page.keyboard.press("Escape")
    expect(page.locator("#new-space-name")).to_be_visible()            # any signed-in user may make a space
    expect(page.locator("#manage-space")).to_be_hidden()               # renaming and deleting: the owner's
    expect(page.get_by_role("tab", name="Status")).to_have_count(0)    # the admin's
    page.get_by_role("tab", name="Documents").click()
    expect(page.locator("#documents-table")).to_contain_text("p1.txt", timeout=15_000)
    expect(page.locator("#upload-files")).to_be_hidden()
    expect(page.locator("#delete-docs")).to_be_hidden()
    page.get_by_role("tab", name="Sharing").click()
    expect(page.locator("#share-space")).to_be_hidden()
    expect(page.locator("#api-keys")).to_be_visible()
    page.locator("#key-create").click()                                # a read key for all of the viewer's spaces
    made = page.locator("#new-key textarea, #new-key input").first
    expect(made).to_have_value(re.compile(r"^qc_\w+_"), timeout=15_000)
    models = httpx.get(f"{base}/v1/models", headers={"Authorization": f"Bearer {made.input_value()}"}).json()
    assert [m["id"] for m in models["data"]] == ["A"]
    expect(page.locator("#keys-table")).to_contain_text("active")
    page.get_by_role("tab", name="Chat").click()
    ask(page, QUESTION)
    expect(bot_messages(page).last).to_contain_text("p1.txt", timeout=30_000)
    shot(page, "access_viewer")
    page.locator("#sign-out").click()
    expect(page.locator("#login-form")).to_be_visible(timeout=15_000)


def test_an_owner_shares_the_space_and_a_fresh_browser_chats_in_it(access_world, page, chromium):
    base = access_world[0]
    sign_in(page, base, "owner")
    expect(page.locator("#manage-space")).to_be_visible()
    page.get_by_role("tab", name="Sharing").click()
    page.locator("#share-label textarea, #share-label input").first.fill("демо для партнёров")
    page.locator("#share-create").click()
    link = page.locator("#share-link textarea, #share-link input").first
    expect(link).to_have_value(re.compile(r"/s/[0-9a-f]+\."), timeout=15_000)
    expect(page.locator("#share-links")).to_contain_text("демо для партнёров")
    url = link.input_value()
    shot(page, "access_owner_sharing")

    guest = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="ru-RU")
    try:
        visitor = guest.new_page()
        visitor.goto(url, wait_until="networkidle")
        expect(visitor.locator("#account-bar")).to_contain_text("Демо-доступ", timeout=15_000)
        expect(visitor.locator("#space-selector input")).to_have_value("A")
        for tab in ("Документы", "Доступ", "Состояние"):
            expect(visitor.get_by_role("tab", name=tab)).to_have_count(0)
        expect(visitor.locator("#new-space-name")).to_be_hidden()
        expect(visitor.locator("#filter-accordion")).to_be_hidden()
        expect(visitor.locator("#share-chat")).to_be_hidden()
        ask(visitor, QUESTION)
        expect(bot_messages(visitor).last).to_contain_text("p1.txt", timeout=30_000)
        visitor.locator("#sources-panel").get_by_text("p1.txt").first.click()
        expect(visitor.locator("#source-viewer")).to_contain_text("p1.txt", timeout=15_000)
        expect(visitor.locator("#download-original a")).to_have_count(0)     # cited passages, not the files
        shot(visitor, "access_visitor")
    finally:
        guest.close()


def test_a_conversation_is_shared_as_a_read_only_page(access_world, page, chromium):
    base = access_world[0]
    sign_in(page, base, "editor")
    ask(page, QUESTION)
    expect(bot_messages(page).last).to_contain_text("p1.txt", timeout=30_000)
    page.locator("#share-chat").click()
    notice = page.locator("#chat-notice")
    expect(notice).to_contain_text("/c/", timeout=15_000)
    url = re.search(r"https?://\S+/c/[\w.-]+", notice.inner_text()).group(0)
    guest = chromium.new_context()
    try:
        reader = guest.new_page()
        reader.goto(url)
        expect(reader.locator("body")).to_contain_text(QUESTION)
        expect(reader.locator("body")).to_contain_text("p1.txt")
        shot(reader, "access_conversation")
        reader.goto(f"{base}/?space=A")                     # the snapshot opened nothing else
        expect(reader.locator("#login-form")).to_be_visible(timeout=15_000)
    finally:
        guest.close()
