"""Build the parallel-editions PDF set for retrieval evaluation: the aptitude user's manual (Debian packages
aptitude-doc-en and aptitude-doc-ru, version 0.8.13-5; about 360,000 characters each, the Russian one fully
translated) printed to one PDF per language with Chromium, chapters in the order of the manual's own table of
contents. Everything comes from Debian's archive (apt-get download), nothing from the web.

    python eval/build_aptitude_pdfs.py [--out eval]   # -> eval/corpus-aptitude-{en,ru}/docs/aptitude-manual-*.pdf

One corpus folder per language, so that a question's source is the edition it is asked on: the Russian edition
takes Russian and English questions (English -> Russian retrieval), the English one English questions.

Needs apt-get (Debian's archive reachable) and chromium on PATH (the browser tests' one)."""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

VERSION = "0.8.13-5"
LANGS = ("en", "ru")


def _pages_in_order(folder: Path) -> list[Path]:
    """index.html first, then every page in the order the index and each page link it (depth first)."""
    seen: list[str] = []

    def visit(name: str) -> None:
        if name in seen or not (folder / name).is_file():
            return
        seen.append(name)
        for link in re.findall(r'href="([^"#/]+\.html)', (folder / name).read_text(encoding="utf-8")):
            visit(link)

    visit("index.html")
    return [folder / name for name in seen]


def _one_html(folder: Path) -> str:
    bodies = []
    for page in _pages_in_order(folder):
        html = page.read_text(encoding="utf-8")
        body = re.search(r"<body[^>]*>(.*)</body>", html, flags=re.S)
        text = body.group(1) if body else html
        text = re.sub(r'<div class="navheader">.*?</div>|<div class="navfooter">.*?</div>', "", text, flags=re.S)
        bodies.append(text)
    css = (folder / "aptitude.css").read_text(encoding="utf-8") if (folder / "aptitude.css").is_file() else ""
    return (f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>"
            + "<div style='page-break-before:always'></div>".join(bodies) + "</body></html>")


def build(out: Path) -> list[Path]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not on PATH")
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for lang in LANGS:
            subprocess.run(["apt-get", "download", f"aptitude-doc-{lang}={VERSION}"], cwd=work, check=True,
                           capture_output=True)
            deb = next(work.glob(f"aptitude-doc-{lang}_*.deb"))
            subprocess.run(["dpkg", "-x", str(deb), str(work / "x")], check=True)
            folder = work / "x" / "usr/share/doc/aptitude/html" / lang
            whole = folder / "whole.html"
            whole.write_text(_one_html(folder), encoding="utf-8")
            docs = out / f"corpus-aptitude-{lang}" / "docs"
            docs.mkdir(parents=True, exist_ok=True)
            pdf = docs / f"aptitude-manual-{lang}.pdf"
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                            f"--print-to-pdf={pdf}", whole.as_uri()], check=True, capture_output=True, timeout=600)
            made.append(pdf)
    return made


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    for path in build(parser.parse_args().out):
        print(path, path.stat().st_size)
