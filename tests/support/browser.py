"""The real browser the UI tests drive: Debian's Chromium (no Playwright browser download)."""
from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def ask(page, question: str) -> None:
    """Type a question into the chat's box and send it with Enter."""
    box = page.locator("#question textarea").first
    box.fill(question)
    box.press("Enter")


def bot_messages(page):
    return page.locator("#chatbot [data-testid=bot]")
