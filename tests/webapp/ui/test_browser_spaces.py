"""Spaces and documents in a real browser: an existing name is reported, the selector takes only existing spaces,
?space= opens a space, deleting a space or a document asks first and names what is lost, and the upload shows
one progress display without covering the tables."""
import pytest
from playwright.sync_api import expect

from tests.support.paths import PROTOCOLS

pytestmark = pytest.mark.browser  # real Chromium; the LLM is the in-process scripted endpoint


@pytest.fixture(scope="module")
def spaces_app(stub_app):
    base, service, _ = stub_app
    for name in ("альфа", "бета"):
        service.create_space(name)
    service.ingest_files("бета", [(p.name, p) for p in sorted(PROTOCOLS.glob("protocol_00[12]*.txt"))])
    return base, service


def selected(page):
    return page.locator("#space-selector input")


def test_url_picks_the_space_and_free_text_is_not_a_space(spaces_app, page):
    base, _ = spaces_app
    page.goto(f"{base}/?space=бета", wait_until="networkidle")
    expect(selected(page)).to_have_value("бета", timeout=15_000)
    field = selected(page)
    field.click()
    field.fill("опечатка")
    field.press("Enter")
    page.locator("#new-space-name textarea, #new-space-name input").first.click()   # leave the field
    expect(selected(page)).to_have_value("бета")


def test_creating_an_existing_space_says_it_exists(spaces_app, page):
    base, _ = spaces_app
    page.goto(f"{base}/?space=бета", wait_until="networkidle")
    page.locator("#new-space-name textarea, #new-space-name input").first.fill("альфа")
    page.locator("#create-space").click()
    expect(page.locator("#space-notice")).to_contain_text("already exists", timeout=15_000)
    expect(selected(page)).to_have_value("альфа")


def test_deleting_a_space_asks_first_and_names_what_is_lost(spaces_app, page):
    base, service = spaces_app
    service.create_space("на удаление")
    service.ingest_files("на удаление", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    page.goto(f"{base}/?space=на удаление", wait_until="networkidle")
    page.locator("#manage-space").get_by_text("Manage this space").click()
    page.locator("#delete-space").click()
    warning = page.locator("#delete-space-warning")
    expect(warning).to_contain_text("на удаление", timeout=15_000)
    expect(warning).to_contain_text("1 document(s)")
    expect(warning).to_contain_text("cannot be undone")
    page.locator("#confirm-delete-space-no").click()
    expect(page.locator("#confirm-delete-space-yes")).to_be_hidden()
    assert service.store.get_space("на удаление") is not None
    page.locator("#delete-space").click()
    page.locator("#confirm-delete-space-yes").click()
    expect(page.locator("#space-notice")).to_contain_text("Deleted space", timeout=15_000)
    assert service.store.get_space("на удаление") is None


def test_deleting_documents_asks_first_and_takes_their_originals(spaces_app, page):
    base, service = spaces_app
    page.goto(f"{base}/?space=бета", wait_until="networkidle")
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents-table")
    expect(table).to_contain_text("protocol_002_incident_response.txt", timeout=15_000)
    expect(table).to_contain_text("ru")                                  # the language column
    page.locator("#delete-docs").click()                                 # nothing selected yet
    expect(page.locator("#upload-summary")).to_contain_text("Select documents", timeout=15_000)
    table.get_by_text("protocol_002_incident_response.txt").click()      # a row (un)selects its document
    chosen = page.locator("#selected-documents")
    expect(chosen.get_by_label("protocol_002_incident_response.txt")).to_be_checked()
    kept_before = service.originals.doc_ids("бета")
    page.locator("#delete-docs").click()
    warning = page.locator("#delete-docs-warning")
    expect(warning).to_contain_text("protocol_002_incident_response.txt")
    expect(warning).to_contain_text("chunks")
    expect(warning).to_contain_text("original files")
    page.locator("#confirm-delete-docs-yes").click()
    expect(page.locator("#upload-summary")).to_contain_text("Deleted", timeout=15_000)
    expect(table).not_to_contain_text("protocol_002_incident_response.txt")
    assert [d.name for d in service.documents("бета")] == ["protocol_001_audit_committee_meeting.txt"]
    assert len(service.originals.doc_ids("бета")) == len(kept_before) - 1
    assert all(s.file != "protocol_002_incident_response.txt"                        # gone from answers too
               for s in service.retrieve("бета", "Разбор инцидента: попытка SQL-инъекции", top_k=5))


def test_reindexing_a_space_shows_progress_and_it_keeps_answering(spaces_app, page):
    base, service = spaces_app
    service.create_space("переиндексация")
    service.ingest_files("переиндексация", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    chunks = service.count_chunks("переиндексация")
    page.goto(f"{base}/?space=переиндексация", wait_until="networkidle")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#reindex-space").click()
    expect(page.locator("#upload-summary")).to_contain_text("Re-indexed", timeout=60_000)
    expect(page.locator("#upload-summary")).to_contain_text(f"{chunks} chunks")
    assert service.retrieve("переиндексация", "критические уязвимости")[0].file == "p1.txt"


def test_renaming_a_space_keeps_its_documents(spaces_app, page):
    base, service = spaces_app
    service.create_space("черновик")
    service.ingest_files("черновик", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    page.goto(f"{base}/?space=черновик", wait_until="networkidle")
    page.locator("#manage-space").get_by_text("Manage this space").click()
    field = page.locator("#rename-space-name textarea, #rename-space-name input").first
    field.fill("a/b")
    page.locator("#rename-space").click()
    expect(page.locator("#space-notice")).to_contain_text("1-64 characters", timeout=15_000)
    field.fill("Чистовик")
    page.locator("#rename-space").click()
    expect(page.locator("#space-notice")).to_contain_text("is now", timeout=15_000)
    expect(selected(page)).to_have_value("Чистовик")
    assert [d.name for d in service.documents("Чистовик")] == ["p1.txt"]
    assert service.store.get_space("черновик") is None


def test_upload_progress_is_drawn_once_and_leaves_the_tables_visible(spaces_app, page):
    base, _ = spaces_app
    page.goto(f"{base}/?space=альфа", wait_until="networkidle")
    page.get_by_role("tab", name="Documents").click()
    files = sorted(PROTOCOLS.glob("*.txt"))[:12]
    page.locator("#upload-files input[type=file]").set_input_files([str(p) for p in files])
    overlays_on_tables, summary_progress = 0, 0
    visible = "(sel) => Array.from(document.querySelectorAll(sel)).filter(e => !e.classList.contains('hide') " \
              "&& e.offsetHeight > 0).length"
    while "Done in" not in (page.locator("#upload-summary").text_content() or ""):
        overlays_on_tables += page.evaluate(visible, "#upload-results .wrap.default, #upload-results .wrap.minimal, "
                                                     "#documents-table .wrap.default, #documents-table .wrap.minimal")
        summary_progress += page.evaluate(visible, "#upload-summary .wrap")
        page.wait_for_timeout(200)
    assert overlays_on_tables == 0 and summary_progress > 0
    expect(page.locator("#upload-results")).to_contain_text(files[-1].name)
