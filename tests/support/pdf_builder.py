"""A PDF written by hand, byte by byte, for hostile-input tests: one page whose text is one line of any length in
Helvetica (so no PDF library's own limits shape the file)."""
from __future__ import annotations

WORDS = "lorem ipsum dolor sit amet budget 2024 audit found three issues "


def one_line_pdf(chars: int) -> bytes:
    """A one-page PDF whose content stream draws `chars` characters of Latin words on a single line."""
    text = (WORDS * (chars // len(WORDS) + 1))[:chars]
    stream = f"BT /F1 10 Tf 20 800 Td ({text}) Tj ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
               b"/Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
