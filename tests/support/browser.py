"""The real browser the UI tests drive: Debian's Chromium (no Playwright browser download)."""
from __future__ import annotations

import shutil

from tests.support.paths import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def ask(page, question: str) -> None:
    """Type a question into the chat's box and send it with Enter."""
    box = page.locator("#question textarea").first
    box.fill(question)
    box.press("Enter")


ARTIFACTS = ROOT / "tests" / "artifacts"   # screenshots the browser tests leave for people to look at


def shot(page, name: str) -> None:
    """The whole page as tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def bot_messages(page):
    return page.locator("#chatbot [data-testid=bot]")
