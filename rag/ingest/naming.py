"""Safe display names for uploaded files, and detection of text that did not really extract."""
from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath


def clean_file_name(name: str) -> str:
    """A safe relative name: no `..`, no absolute root, no control characters; Cyrillic stays as it is.
    Folder parts are kept (`protocols/p1.txt`) so that same-named files in different folders stay apart."""
    text = unicodedata.normalize("NFC", str(name).replace("\\", "/"))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    parts = [p.strip() for p in PurePath(text).parts if p.strip().strip("/") not in ("", ".", "..")]
    parts = [p.lstrip(".") or "_" for p in parts]
    return "/".join(parts)[-240:] or "unnamed"


def looks_like_garbage(text: str) -> bool:
    """True when extracted text is not real text: glyphs without a Unicode mapping come out as `(cid:N)` codes,
    private-use or replacement characters, or one letter repeated for every glyph (`nnnn nnnnnnnn`)."""
    sample = text[:50000]
    words = re.findall(r"[^\W\d_]{3,}", sample)
    if len(words) >= 5:
        repeated = sum(len(set(w.lower())) == 1 for w in words)
        if repeated / len(words) > 0.3:
            return True
    visible = re.sub(r"\s+", "", sample)
    if len(visible) < 20:
        return False
    unmapped = len(re.findall(r"\(cid:\d+\)", sample)) * 8
    unmapped += sum(unicodedata.category(ch) in ("Co", "Cn") or ch == "\ufffd" for ch in visible)
    return unmapped / len(visible) > 0.2
