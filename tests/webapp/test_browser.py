"""A real browser (Debian's Chromium driven by Playwright): create a space, drop a file, ask in Russian, and see
the streamed answer with a citation. Leaves a screenshot in the pytest temp dir."""
import shutil

import pytest

from tests.conftest import PROTOCOLS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (make test installs it)")

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def test_drop_file_and_ask_in_russian(app_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{app_server}/", wait_until="networkidle")
        page.locator("#new-space-name textarea, #new-space-name input").first.fill("Браузер")
        page.locator("#create-space").click()
        expect(page.locator("#space-notice")).to_contain_text("Браузер", timeout=30_000)

        page.get_by_role("tab", name="Documents").click()
        page.locator("#upload-files input[type=file]").set_input_files(
            [str(PROTOCOLS / "protocol_001_audit_committee_meeting.txt"),
             str(PROTOCOLS / "protocol_010_customer_service.txt")])
        expect(page.locator("#upload-summary")).to_contain_text("2 indexed", timeout=120_000)
        expect(page.locator("#documents-table")).to_contain_text("protocol_010_customer_service.txt")

        page.get_by_role("tab", name="Chat").click()
        box = page.locator("#question textarea").first
        box.fill("Сколько критических уязвимостей выявил аудит?")
        box.press("Enter")
        bot = page.locator("#chatbot")
        expect(bot).to_contain_text("Источники:", timeout=180_000)
        expect(bot).to_contain_text("protocol_001_audit_committee_meeting.txt")
        expect(page.locator("#sources-panel")).to_contain_text("protocol_001_audit_committee_meeting.txt")
        page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
        browser.close()
