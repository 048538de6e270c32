"""HTML (scripts and styles stripped) and e-mail (.eml: headers, body, and attachments of supported types)."""
from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

from rag.errors import UnreadableFile
from rag.ingest.sections import DEFAULT_READ, ReadOptions, Section, decode_text

_SKIP = {"script", "style", "noscript", "template", "svg"}
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table",
          "ul", "ol", "pre", "blockquote", "title", "td", "th"}
_HEADINGS = {"h1", "h2", "h3", "h4"}



MAX_ATTACHMENT_DEPTH = 3    # an e-mail's attached e-mails are read this many levels deep

class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self.heading = ""
        self.parts: list[str] = []
        self.skip_depth = 0
        self.in_heading = False
        self.heading_parts: list[str] = []
        self.title = ""
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip_depth += 1
        if tag == "title":
            self.in_title = True
        if tag in _HEADINGS:
            self._flush()
            self.in_heading, self.heading_parts = True, []
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1
        if tag == "title":
            self.in_title = False
        if tag in _HEADINGS and self.in_heading:
            self.in_heading = False
            self.heading = " ".join("".join(self.heading_parts).split())
            self.parts.append(self.heading + "\n")
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title += data
            return
        if self.skip_depth:
            return
        if self.in_heading:
            self.heading_parts.append(data)
        else:
            self.parts.append(data)

    def _flush(self) -> None:
        lines = [" ".join(line.split()) for line in "".join(self.parts).splitlines()]
        text = "\n".join(line for line in lines if line)
        if text:
            self.sections.append(Section(text=text, heading=self.heading or self.title.strip()))
        self.parts = []

    def close(self) -> None:
        super().close()
        self._flush()


def read_html(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    parser = _TextExtractor()
    parser.feed(decode_text(data))
    parser.close()
    yield from parser.sections


def read_eml(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except RecursionError as err:      # Python's mail parser recurses per level: ~900 levels are past it
        raise UnreadableFile("e-mails nested in e-mails too deep to read", "damaged") from err
    except Exception as err:
        raise UnreadableFile(f"damaged e-mail ({type(err).__name__})", "damaged") from err
    yield from _read_message(message, options)


def _read_message(message: EmailMessage, options: ReadOptions) -> Iterator[Section]:
    """A mail's headers and body, then its attachments of supported types: attached files, and mails forwarded as
    attachments (message/rfc822), read as mails themselves, MAX_ATTACHMENT_DEPTH levels deep."""
    from rag.ingest.readers import READERS, read_sections

    headers = [f"{key}: {message[key]}" for key in ("From", "To", "Cc", "Date", "Subject") if message[key]]
    if not headers:
        raise UnreadableFile("not an e-mail: no From/To/Subject headers", "wrong_type")
    subject = str(message["Subject"] or "")
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        content = body.get_content()
        text = "\n".join(s.text for s in read_html(content.encode(), "body.html")) \
            if body.get_content_type() == "text/html" else content
    yield Section(text="\n".join(headers) + "\n\n" + text.strip(), heading=subject)
    if options.depth >= MAX_ATTACHMENT_DEPTH:   # mails nested in mails: each level re-parses all below it
        if any(True for _ in message.iter_attachments()):
            yield Section(text="", extra={"warning": f"attachments nested deeper than {MAX_ATTACHMENT_DEPTH} levels "
                                                     f"were not read"})
        return
    inner = replace(options, depth=options.depth + 1)
    for part in message.iter_attachments():
        filename = part.get_filename() or ""
        if part.get_content_type() == "message/rfc822":       # forwarded as an attachment
            forwarded = part.get_content()
            filename = filename or f"{forwarded['Subject'] or 'forwarded'}.eml"
            sections = _read_message(forwarded, inner)
        elif Path(filename).suffix.lower() in READERS:
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            sections = read_sections(payload, filename, inner)
        else:
            continue
        try:
            for section in sections:
                section.heading = f"{filename}: {section.heading}" if section.heading else filename
                section.extra = {**section.extra, "attachment": filename}
                yield section
        except UnreadableFile:
            continue  # one bad attachment does not sink the mail
