"""The settings sweep's arithmetic: grids, index folders per ingest settings, the table and the gate's counts."""
from pathlib import Path

from rag.eval.sweep import grid, index_dir, table


def test_grid_is_every_combination_with_typed_values():
    assert grid([]) == [{}]
    assert grid(["rrf_k=2,60", "sparse_weight=0.5", "translation=off,on"]) == [
        {"rrf_k": 2, "sparse_weight": 0.5, "translation": "off"},
        {"rrf_k": 2, "sparse_weight": 0.5, "translation": "on"},
        {"rrf_k": 60, "sparse_weight": 0.5, "translation": "off"},
        {"rrf_k": 60, "sparse_weight": 0.5, "translation": "on"}]


def test_each_chunking_gets_its_own_index(tmp_path):
    corpus = tmp_path / "corpus"
    assert index_dir(tmp_path, corpus, {}) == index_dir(tmp_path, corpus, {})
    assert index_dir(tmp_path, corpus, {"chunk_size": 256}) != index_dir(tmp_path, corpus, {})
    assert index_dir(tmp_path, corpus, {}).name.startswith("corpus-")
    assert index_dir(tmp_path, Path("/x/other"), {}) != index_dir(tmp_path, corpus, {})


def test_table_has_a_row_per_setting_and_dashes_for_unanswerable_only_sets():
    scores = {"hit@1": 0.5, "hit@5": 1.0, "mrr": 0.75}
    none = {"hit@1": None, "hit@5": None, "mrr": None}
    results = [{"label": "rrf_k=2", "sets": {"dev": scores, "off": none}, "en": scores, "mean": scores,
                "gate": {"answerable": 0, "unanswerable": 7, "of_unanswerable": 9}}]
    lines = table(results, ["dev", "off"]).splitlines()
    assert len(lines) == 3
    assert lines[2] == ("| rrf_k=2 | 0.50 / 1.00 / 0.75 | — / — / — | 0.50 / 1.00 / 0.75 | 0.50 / 1.00 / 0.75 "
                        "| 0, 7 of 9 |")
