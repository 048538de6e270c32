"""A real browser (Debian's Chromium driven by Playwright): create a space, drop a file, ask in Russian, and see
the streamed answer with a citation, then delete the document after a confirmation."""
from playwright.sync_api import expect

from tests.support.paths import PROTOCOLS


def test_drop_file_and_ask_in_russian(app_server, page):
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
