"""Word boxes of a scanned page (no text layer), for the viewer to box the cited passage there too: tesseract reads
the rendered page and gives each word with its box (its TSV output), in the same form as pdfplumber's words.
Ingestion OCRs the same pages (rag/ingest/pdf.py), so the passage's words are the words found here, up to OCR's
own variation. Without tesseract there are no boxes."""
from __future__ import annotations

import csv
import io
import logging
import shutil
import subprocess

from rag.ingest.sections import DEFAULT_READ

log = logging.getLogger(__name__)
OCR_TIMEOUT_S = 120


def ocr_words(png: bytes, langs: str = DEFAULT_READ.ocr_langs) -> list[dict]:
    """Words of the page image as {"text", "x0", "top", "x1", "bottom"} in pixels, in reading order."""
    if not shutil.which("tesseract"):
        return []
    try:
        proc = subprocess.run(["tesseract", "stdin", "stdout", "-l", langs, "--psm", "3", "tsv"], input=png,
                              capture_output=True, timeout=OCR_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        log.warning("OCR of a page for the viewer took over %d s", OCR_TIMEOUT_S)
        return []
    if proc.returncode != 0:
        log.warning("OCR of a page for the viewer failed: %s", proc.stderr.decode(errors="replace")[-300:])
        return []
    rows = csv.DictReader(io.StringIO(proc.stdout.decode("utf-8", errors="replace")), delimiter="\t",
                          quoting=csv.QUOTE_NONE)
    words = []
    for row in rows:
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        left, top = float(row["left"]), float(row["top"])
        words.append({"text": text, "x0": left, "top": top, "x1": left + float(row["width"]),
                      "bottom": top + float(row["height"])})
    return words
