"""The CLI as a user runs it: a subprocess on a real folder, a real store and a real llama.cpp server."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.support.paths import PROTOCOLS, ROOT

pytestmark = pytest.mark.slow  # every test runs the CLI in subprocesses, each loading the embedder


def run_cli(args, env, check=True):
    proc = subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_index_ask_spaces_docs_delete(tmp_path, llama_server):
    folder = tmp_path / "docs"
    (folder / "protocols").mkdir(parents=True)
    for name in ("protocol_001_audit_committee_meeting.txt", "protocol_007_hr_committee.txt"):
        shutil.copy(PROTOCOLS / name, folder / "protocols" / name)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (folder / "setup.exe").write_bytes(b"MZ")
    env = {**os.environ, "QDRANT_PATH": str(tmp_path / "qdrant"), "LLM_BASE_URL": llama_server.base_url,
           "LLM_MODEL": llama_server.alias, "LLM_MAX_TOKENS": "32", "COLUMNS": "200",
           "LLM_CHARS_PER_TOKEN": str(llama_server.chars_per_token)}

    indexed = run_cli(["index", "--dir", str(folder), "--space", "demo", "--json"], env)
    summary = json.loads(indexed.stdout)
    assert (summary["ok"], summary["failed"]) == (2, 2)
    reasons = {f["file"]: f["reason"] for f in summary["files"] if f["status"] == "failed"}
    assert "PDF" in reasons["broken.pdf"] and "unsupported" in reasons["setup.exe"]
    assert "failed" in indexed.stderr and "%" in indexed.stderr  # the table and the progress bar

    again = json.loads(run_cli(["index", "--dir", str(folder), "--space", "demo", "--json"], env).stdout)
    assert again["skipped"] == 2 and again["ok"] == 0

    answer = json.loads(run_cli(["ask", "--space", "demo", "--top-k", "2", "--json",
                                 "Сколько критических уязвимостей выявил аудит?"], env).stdout)
    assert set(answer) == {"answer", "sources"} and len(answer["sources"]) == 2
    assert answer["sources"][0]["file"] == "protocols/protocol_001_audit_committee_meeting.txt"
    assert set(answer["sources"][0]) == {"file", "page", "score", "text"}

    streamed = run_cli(["ask", "--space", "demo", "What is the staff turnover?"], env).stdout
    assert "Sources:" in streamed

    spaces = json.loads(run_cli(["spaces", "--json"], env).stdout)
    assert spaces[0]["name"] == "demo" and spaces[0]["documents"] == 2
    assert "protocol_007_hr_committee.txt" in run_cli(["docs", "--space", "demo"], env).stdout
    run_cli(["delete", "--space", "demo", "--doc", "protocols/protocol_007_hr_committee.txt"], env)
    assert "protocol_007" not in run_cli(["docs", "--space", "demo"], env).stdout
    report = json.loads(run_cli(["reindex", "--space", "demo"], env).stdout)
    assert report["documents"] == 1 and report["chunks"] >= 1


def test_missing_space_and_bad_setting_fail_cleanly(tmp_path):
    env = {**os.environ, "QDRANT_PATH": str(tmp_path / "q"), "LLM_BASE_URL": "http://127.0.0.1:9/v1",
           "LLM_MODEL": "x"}
    proc = run_cli(["ask", "--space", "nope", "hi"], env, check=False)
    assert proc.returncode == 2 and "no space named 'nope'" in proc.stderr
    proc = run_cli(["spaces"], {**env, "TOP_K": "zero"}, check=False)
    assert proc.returncode == 2 and "TOP_K" in proc.stderr


def test_ask_exits_1_when_no_complete_answer_came(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(PROTOCOLS / "protocol_001_audit_committee_meeting.txt", folder / "p1.txt")
    env = {**os.environ, "QDRANT_PATH": str(tmp_path / "q"), "LLM_BASE_URL": "http://127.0.0.1:9/v1",
           "LLM_MODEL": "x", "COLUMNS": "200"}
    run_cli(["index", "--dir", str(folder), "--space", "demo"], env)
    proc = run_cli(["ask", "--space", "demo", "Сколько уязвимостей?"], env, check=False)
    assert proc.returncode == 1 and "llm_unavailable" in proc.stderr
    assert "модель недоступна" in proc.stdout and "Источники:" in proc.stdout
    proc = run_cli(["ask", "--space", "demo", "--json", "Сколько уязвимостей?"], env, check=False)
    assert proc.returncode == 1 and json.loads(proc.stdout)["error_code"] == "llm_unavailable"


def test_sharded_indexing_is_exactly_the_unsharded_one(tmp_path):
    """Two `--shard i/2` runs (one after the other: the embedded store takes one process at a time; on a Qdrant
    server they run at once) index exactly what one unsharded run indexes."""
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    for i, path in enumerate(sorted(PROTOCOLS.glob("*.txt"))[:6]):
        shutil.copy(path, folder / ("sub" if i % 2 else "") / path.name)
    base = {**os.environ, "LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    sharded = {**base, "QDRANT_PATH": str(tmp_path / "sharded")}
    whole = {**base, "QDRANT_PATH": str(tmp_path / "whole")}
    parts = [json.loads(run_cli(["index", "--dir", str(folder), "--space", "s", "--shard", f"{i}/2", "--json"],
                                sharded).stdout) for i in range(2)]
    everything = json.loads(run_cli(["index", "--dir", str(folder), "--space", "s", "--json"], whole).stdout)
    names = [sorted(f["file"] for f in part["files"]) for part in parts]
    assert names[0] and names[1] and not set(names[0]) & set(names[1])           # both shards got files
    assert sorted(names[0] + names[1]) == sorted(f["file"] for f in everything["files"])
    listed = {env["QDRANT_PATH"]: json.loads(run_cli(["docs", "--space", "s", "--json"], env).stdout)
              for env in (sharded, whole)}
    as_set = {k: sorted((d["name"], d["chunks"]) for d in v) for k, v in listed.items()}
    assert as_set[sharded["QDRANT_PATH"]] == as_set[whole["QDRANT_PATH"]] and len(as_set[whole["QDRANT_PATH"]]) == 6
    assert run_cli(["index", "--dir", str(folder), "--space", "s", "--shard", "2/2"], sharded, check=False
                   ).returncode == 2
