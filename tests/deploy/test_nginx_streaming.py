"""Streaming through a real nginx (Debian's binary in the foreground, its prefix, temp paths and logs in a temp dir;
no root needed) with deploy/nginx/quadrate.conf in front of a real app server over a scripted LLM that streams 12
deltas 0.2 s apart: the answer reaches the client piece by piece, spread over the streaming time and not in one
lump, on /v1/chat/completions (SSE), /ask (NDJSON) and the Gradio chat (gradio_client on nginx's URL, after a
space is created and a file uploaded through it); and the full text arrives. A negative control streams through
the config with nginx's defaults put back (buffering on, HTTP/1.0 to the app, the app's X-Accel-Buffering: no
ignored) and sees the lump. Skipped when nginx is not installed (`make test` installs it)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from tests.support.fault_llm import FaultLLM, Reply
from tests.support.paths import PROTOCOLS, ROOT
from tests.support.servers import free_port, stop_process, wait_until_ready
from tests.support.services import app_over_stub

TEMPLATE = ROOT / "deploy" / "nginx" / "quadrate.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(NGINX is None, reason="Debian nginx is not installed (make test installs it, "
                                                       "through make system-deps)")]

QUESTION = "Сколько критических уязвимостей выявил аудит?"
DELTAS = ["Аудит ", "выявил ", "три ", "критические ", "уязвимости ", "в ", "системе ", "учёта ", "и ", "две ",
          "средние ", "[1]."]   # cited: an answer without a citation would get one appended
FULL = "".join(DELTAS)
GAP_S = 0.2
STREAMED_S = GAP_S * (len(DELTAS) - 1)   # from the first delta to the last one, at the scripted LLM
MOMENT_GAP_S = 0.08                      # arrivals closer than this count as one moment


def render(template: str, upstream: str, port: int, *, nginx_defaults: bool = False) -> str:
    """The shipped template with the app's address and the listen port substituted (the two template lines named
    in deploy/nginx/README.md). `nginx_defaults`: the negative control, nginx's own defaults for streaming
    (buffering on, HTTP/1.0 to the app) and the app's X-Accel-Buffering: no ignored."""
    swaps = {"server 127.0.0.1:8000;": f"server {upstream};", "listen 80;": f"listen 127.0.0.1:{port};"}
    if nginx_defaults:
        swaps["proxy_buffering off;"] = "proxy_buffering on; proxy_ignore_headers X-Accel-Buffering;"
        swaps["proxy_http_version 1.1;"] = "proxy_http_version 1.0;"
    for line, replacement in swaps.items():
        assert line in template, f"{TEMPLATE} lost its template line {line!r}"
        template = template.replace(line, replacement)
    return template


@contextmanager
def run_nginx(tmp: Path, site: str, port: int) -> Iterator[str]:
    """nginx in the foreground with its prefix, pid, temp paths and logs under `tmp`, serving `site` (quadrate.conf
    rendered to listen on `port`); yields its base URL, stops it afterwards."""
    assert NGINX is not None
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "quadrate.conf").write_text(site, encoding="utf-8")
    temp_paths = "\n".join(f"    {name}_temp_path {tmp / name};"
                           for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""   # as root, workers would run as nobody: no access to tmp
    (tmp / "nginx.conf").write_text(
        f"{user}worker_processes 1;\nerror_log stderr;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    access_log {tmp / 'access.log'};\n{temp_paths}\n    include {tmp / 'quadrate.conf'};\n}}\n",
        encoding="utf-8")
    with open(tmp / "nginx.stderr", "wb") as stderr:
        proc = subprocess.Popen([NGINX, "-p", f"{tmp}/", "-c", str(tmp / "nginx.conf"), "-e", "stderr",
                                 "-g", f"daemon off; pid {tmp / 'nginx.pid'};"],
                                stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_ready(f"{url}/health", timeout=30, proc=proc):
            pytest.fail(f"nginx did not start: {(tmp / 'nginx.stderr').read_text(errors='replace')}")
        yield url
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def app(tmp_path_factory, fault_llm):
    """The real app (retrieval, store, API, UI) over the scripted LLM, with one protocol in the space "demo"."""
    with app_over_stub(tmp_path_factory.mktemp("nginx-app"), fault_llm) as (base, _):
        yield base, fault_llm


@pytest.fixture(scope="module")
def proxy(app, tmp_path_factory):
    """nginx with the shipped config in front of the app: (its URL, its access log)."""
    base, _ = app
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    site = render(TEMPLATE.read_text(encoding="utf-8"), base.removeprefix("http://"), port)
    with run_nginx(tmp, site, port) as url:
        yield url, tmp / "access.log"


def moments(times: list[float]) -> int:
    """How many distinct arrival moments: runs of arrivals less than MOMENT_GAP_S apart count once."""
    return 1 + sum(b - a >= MOMENT_GAP_S for a, b in pairwise(times)) if times else 0


def figures(route: str, arrivals: list[tuple[float, str]], started: float) -> tuple[float, int]:
    """(spread from the first content to the last, distinct moments), printed with the route."""
    times = [t for t, _ in arrivals]
    spread, distinct = (times[-1] - times[0], moments(times)) if times else (0.0, 0)
    print(f"\n{route}: {len(times)} pieces, first after {times[0] - started if times else 0:.2f} s, spread "
          f"{spread:.2f} s (scripted {STREAMED_S:.2f} s), {distinct} distinct moments")
    return spread, distinct


def assert_incremental(route: str, arrivals: list[tuple[float, str]], started: float) -> None:
    spread, distinct = figures(route, arrivals, started)
    assert spread >= 0.5 * STREAMED_S, f"{route}: the answer came in a lump (spread {spread:.2f} s): {arrivals}"
    assert distinct >= 4, f"{route}: only {distinct} distinct arrival moments: {arrivals}"


def openai_stream(url: str, stub: FaultLLM) -> tuple[list[tuple[float, str]], float]:
    """Content deltas of a streamed chat completion, each with its arrival time; and when the request started."""
    stub.script(Reply(deltas=DELTAS, gap_s=GAP_S))
    body = {"model": "demo", "messages": [{"role": "user", "content": QUESTION}], "stream": True}
    arrivals: list[tuple[float, str]] = []
    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=120) as client, \
            client.stream("POST", "/v1/chat/completions", json=body) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if line.startswith("data: {"):
                choices = json.loads(line[len("data: "):])["choices"]
                content = choices[0]["delta"].get("content") if choices else None
                if content:
                    arrivals.append((time.monotonic(), content))
    return arrivals, started


def test_openai_stream_arrives_piece_by_piece_through_nginx(proxy, app):
    url, _ = proxy
    arrivals, started = openai_stream(url, app[1])
    assert "".join(text for _, text in arrivals) == FULL
    assert_incremental("/v1/chat/completions", arrivals, started)


def test_ask_ndjson_stream_arrives_piece_by_piece_through_nginx(proxy, app):
    url, _ = proxy
    app[1].script(Reply(deltas=DELTAS, gap_s=GAP_S))
    arrivals, kinds = [], []
    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=120) as client, \
            client.stream("POST", "/ask", json={"q": QUESTION, "space_id": "demo", "stream": True}) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/x-ndjson")
        for line in resp.iter_lines():
            if line:
                event = json.loads(line)
                kinds.append(event["type"])
                if event["type"] == "token" and not event["notice"]:
                    arrivals.append((time.monotonic(), event["text"]))
    assert kinds[0] == "sources" and kinds[-1] == "done" and "error" not in kinds
    assert "".join(text for _, text in arrivals) == FULL
    assert_incremental("/ask", arrivals, started)


def answer_text(update) -> str:
    """The assistant's text in one streamed update of the chat (a message's content is a string or parts)."""
    history = update[0] if update and isinstance(update[0], list) else []
    content = history[-1].get("content", "") if history and isinstance(history[-1], dict) else ""
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    # answers are Markdown-escaped, and each [n] is a link to the source viewer: back to plain text
    return re.sub(r"\[\[(\d+)\]\]\(#qc-cite-[^)]*\)", r"[\1]", str(content).replace("\\", ""))


def test_gradio_chat_streams_through_nginx(proxy, app):
    """A space is created and a document uploaded through nginx, then the chat streams. Each update of the job that
    shows more of the scripted answer is an arrival; the status updates before it (searching, seconds) are not."""
    from gradio_client import Client, handle_file

    url, access_log = proxy
    client = Client(f"{url}/", verbose=False)
    client.predict("ui-nginx", api_name="/create_space")
    results, *_ = client.predict([handle_file(str(PROTOCOLS / "protocol_001_audit_committee_meeting.txt"))],
                                 "ui-nginx", api_name="/upload")
    assert [row[1] for row in results["data"]] == ["ok"]
    app[1].script(Reply(deltas=DELTAS, gap_s=GAP_S))
    arrivals: list[tuple[float, str]] = []
    shown = 0
    started = time.monotonic()
    job = client.submit(QUESTION, [], "ui-nginx", 3, api_name="/chat")
    for update in job:
        text = answer_text(update)
        count = max((k for k in range(len(DELTAS) + 1) if "".join(DELTAS[:k]) in text), default=0)
        if count > shown:
            arrivals.append((time.monotonic(), "".join(DELTAS[shown:count])))
            shown = count
    final = answer_text(job.result())
    assert FULL in final, final
    assert "/gradio_api/queue/data" in access_log.read_text(), "the chat's stream did not go through nginx"
    assert_incremental("gradio /chat", arrivals, started)


def test_nginx_defaults_would_deliver_the_stream_in_one_lump(app, tmp_path):
    """The negative control, what the config prevents: with nginx's defaults (proxy_buffering on, HTTP/1.0 to the
    app) and the app's X-Accel-Buffering: no ignored, the same stream reaches the client in a lump at its end.
    (With HTTP/1.1 alone nginx already passes each chunk of the app's chunked stream on, buffering or not.)"""
    base, stub = app
    port = free_port()
    site = render(TEMPLATE.read_text(encoding="utf-8"), base.removeprefix("http://"), port, nginx_defaults=True)
    with run_nginx(tmp_path / "nginx-defaults", site, port) as url:
        arrivals, started = openai_stream(url, stub)
    assert "".join(text for _, text in arrivals) == FULL
    _, distinct = figures("nginx defaults, /v1/chat/completions", arrivals, started)
    assert distinct <= 2, f"nginx's defaults did not hold the stream back: {arrivals}"
