"""Text from documents and from the model, made safe to show.

* Document text and file names are shown as plain text: escaped for HTML (`html_text`), or with every Markdown
  sign escaped where they sit inside Markdown (`md_literal`). A planted `[link](https://evil)` or `![x](track)`
  stays visible text.
* The model's answer keeps basic formatting (bold, lists, code) but no raw HTML, no image is ever loaded from it,
  and a link is shown as its text followed by its real URL, as text: nothing in an answer is clickable, since
  the model may copy a link planted in a document (`answer_markdown`)."""
from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&:])")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\)")
_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\)")
_REF_DEFINITION = re.compile(r"^(\s{0,3})\[([^\]\n]+)\]:", re.MULTILINE)
_AUTOLINK = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{1,20}:(?=//)|www\.)|[\w.+-]+@[\w-]+\.")  # bare URLs, e-mails
_REF_USE = re.compile(r"(!?)\[([^\]\n]*)\]\[([^\]\n]*)\]")


def html_text(text: str) -> str:
    """Plain text for an HTML context: every character shown as itself."""
    return html.escape(str(text or ""), quote=True)


def md_literal(text: str) -> str:
    """Plain text inside Markdown: every sign Markdown (or LaTeX, or HTML) would act on is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text or "").replace("\n", " "))


def _shown_link(label: str, url: str) -> str:
    label, url = label.strip(), url.strip()
    url_text = md_literal(url)
    if not label or label == url:
        return url_text
    return f"{md_literal(label)} ({url_text})"


def _escaped_reference(m: re.Match) -> str:
    bang = "\\!" if m.group(1) else ""
    return f"{bang}\\[{m.group(2)}\\]\\[{m.group(3)}\\]"


def answer_markdown(text: str) -> str:
    """The model's answer as Markdown that loads nothing and hides no URL: HTML is escaped, images become their
    alt text with the URL, links their text with the URL, and reference-style links lose their definitions."""
    text = str(text or "")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for _ in range(3):  # nested constructs unwrap from the inside out
        before = text
        text = _IMAGE.sub(lambda m: _shown_link(m.group(1) or "image", m.group(2)), text)
        text = _LINK.sub(lambda m: _shown_link(m.group(1), m.group(2)), text)
        if text == before:
            break
    text = _REF_DEFINITION.sub(lambda m: f"{m.group(1)}\\[{m.group(2)}\\]:", text)
    text = _REF_USE.sub(_escaped_reference, text)
    text = text.replace("![", "\\!\\[").replace("](", "\\]\\(")
    return _AUTOLINK.sub(lambda m: m.group(0).replace(":", "\\:").replace(".", "\\.").replace("@", "\\@"), text)
