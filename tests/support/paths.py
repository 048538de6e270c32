"""Where the test inputs are: the repository, the shared demo corpus, the real test documents and the eval fixture."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/support/paths.py -> ../..)
SHARED = Path(os.environ.get("QC_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "quadrate" / "docs"
PROTOCOLS = CORPUS / "protocols"
FIXTURES = ROOT / "tests" / ".fixtures"  # python-docx, python-pptx and ocrmypdf sdists (make fixtures)
