"""The operator's guide in both languages walks the same sections, and every repository file it names exists (a
renamed file breaks the guide's steps, and this test)."""
from __future__ import annotations

import re

import pytest

from tests.support.paths import ROOT

GUIDES = [ROOT / "docs" / "deploy-gpu.en.md", ROOT / "docs" / "deploy-gpu.ru.md"]


def test_both_languages_walk_the_same_sections():
    headings = [re.findall(r"^## (\d)\.", g.read_text(encoding="utf-8"), flags=re.M) for g in GUIDES]
    assert headings[0] == headings[1] == ["1", "2", "3", "4", "5", "6"]
    for guide in GUIDES:
        text = guide.read_text(encoding="utf-8")
        for needle in ("nvidia-ctk", "docker compose --profile vllm up -d", "bench.serve", "quadrate-dashboard.json",
                       "VLLM_GPU_MEMORY_UTILIZATION", "HUGGING_FACE_HUB_TOKEN", "--shard", "least_conn"):
            assert needle in text, (guide.name, needle)


@pytest.mark.parametrize("guide", GUIDES, ids=lambda g: g.name)
def test_every_named_repository_file_exists(guide):
    text = guide.read_text(encoding="utf-8")
    named = set(re.findall(r"\b((?:deploy|config|docs)/[\w./-]+\.(?:yaml|conf|env|json|py|md))", text))
    models = set(re.findall(r"`([\w.-]+\.env)`", text))               # the model table's files
    assert len(named) >= 6 and len(models) >= 6
    missing = [path for path in named if not (ROOT / path).exists()]
    missing += [m for m in models if not (ROOT / "deploy" / "models" / m).exists()]
    assert not missing, missing
