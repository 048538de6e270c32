"""Documents and answers cannot inject Markdown or HTML into the page (real Chromium): a planted image is never
fetched (the network is watched), a planted link is not clickable, a heading does not restyle the panel, and a
link in the model's answer shows its real URL. The LLM is scripted to copy the planted content (a hostile
answer); retrieval, storage and the UI are real."""
import pytest
from playwright.sync_api import expect

from tests.support.fault_llm import ANSWER

pytestmark = pytest.mark.browser  # real Chromium; the LLM is the in-process scripted endpoint

PLANTED = ("Отчёт аудита 2024.\n\n[Открыть отчёт](https://evil.example/login)\n\n"
           "![x]({base}/track-doc?leak=1)\n\n[нажми](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n"
           "# Огромный заголовок\n\n"
           "Аудит выявил 3 критических уязвимости в платёжной системе. <img src=\"{base}/track-html?leak=2\">\n")
HOSTILE_ANSWER = ["Аудит выявил 3 уязвимости [1]. ", "![t]({base}/track-answer?leak=3) ",
                  "[Войти](https://evil.example/phish) ", "<img src=\"{base}/track-answer-html\"> ",
                  "**важно**"]


@pytest.fixture
def planted_space(stub_app, tmp_path):
    base, service, llm = stub_app
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "planted.txt").write_text(PLANTED.format(base=base))
    (folder / "![p](leak-name.png) [Открыть](evil.html).txt").write_text("Второй файл про аудит и уязвимости.")
    service.create_space("safety")
    results = service.ingest_files("safety", [(p.name, p) for p in sorted(folder.iterdir())])
    assert [r.status for r in results] == ["ok", "ok"]
    llm.answer = [piece.format(base=base) for piece in HOSTILE_ANSWER]
    yield base
    llm.answer = list(ANSWER)
    service.delete_space("safety")


def test_planted_markdown_loads_nothing_and_links_are_not_clickable(planted_space, page):
    base = planted_space
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/?space=safety", wait_until="networkidle")
    box = page.locator("#question textarea").first
    box.fill("Сколько критических уязвимостей выявил аудит?")
    box.press("Enter")
    bot, panel = page.locator("#chatbot"), page.locator("#sources-panel")
    expect(bot).to_contain_text("важно", timeout=60_000)
    expect(bot).to_contain_text("Источники:")
    expect(panel).to_contain_text("[Открыть отчёт](https://evil.example/login)")   # shown as the text it is
    expect(panel).to_contain_text("# Огромный заголовок")

    # the answer: formatting kept, the link's real URL shown, no image element, nothing clickable to evil.example
    expect(bot.locator("strong")).to_contain_text("важно")
    expect(bot).to_contain_text("https://evil.example/phish")
    expect(panel).to_contain_text("![p](leak-name.png) [Открыть](evil.html).txt")
    for area in (bot, panel):
        assert area.locator("img[src*=track], img[src*=leak]").count() == 0
        assert area.locator("a[href*=evil], a[href*=track]").count() == 0
        assert area.locator("h1").count() == 0

    # the viewer: the planted passage in its file, as text
    panel.locator("[data-qc-cite]").filter(has_text="planted.txt").first.click()
    viewer = page.locator("#source-viewer")
    expect(viewer).to_contain_text("[Открыть отчёт](https://evil.example/login)", timeout=15_000)
    expect(viewer.locator("mark")).to_contain_text("# Огромный заголовок")
    assert viewer.locator("img, a, h1, [onerror]").count() == 0

    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents-table")
    expect(table).to_contain_text("![p](leak-name.png) [Открыть](evil.html).txt")
    assert table.locator("a, img").count() == 0
    page.wait_for_timeout(1000)
    leaked = [u for u in requests if "/track-" in u or "leak" in u or "evil" in u]
    assert not leaked, leaked
    assert not dialogs, dialogs                                   # no script ran
    assert page.locator("[onerror], a[href^='javascript:']").count() == 0


def test_answer_markdown_rules():
    from webapp.ui.safe_text import answer_markdown, md_literal

    out = answer_markdown('![x](http://h/t.png) [a](https://e/x "t") <img src=x> [1]\n[1]: http://e/ref **b**')
    assert "![" not in out and "](" not in out and "<img" not in out and "**b**" in out
    assert "https\\://e/x" in out and "\\[1\\]: http\\://e/ref" in out
    assert md_literal("[a](b)") == "\\[a\\]\\(b\\)"
