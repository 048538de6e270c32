"""A scanned page made on the spot: Russian text drawn as pixels on an A4 page at 300 dpi, saved as a PDF without a
text layer (what a scanner gives)."""
from __future__ import annotations

import io

SCANNED_LINES = ["ПРОТОКОЛ № 7 заседания комитета", "Выявлены 3 критических уязвимости",
                 "Срок устранения: до 30.04.2024", "Ответственный: Иванов П.К."]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"   # fonts-dejavu-core (make test installs it)


def scanned_pdf(lines: list[str] = SCANNED_LINES) -> bytes:
    """Line i is drawn at y = 300 + 110 i px of 3508 (56 px type), x from 200 px."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 56)
    for i, line in enumerate(lines):
        draw.text((200, 300 + i * 110), line, fill=0, font=font)
    buf = io.BytesIO()
    page.save(buf, format="PDF", resolution=300)
    return buf.getvalue()
