"""The app on embedded defaults (its own llama.cpp child process), over HTTP: health stays 200 while the model
is busy, turns 503 when the process dies (saying it is restarting) and 200 once the supervisor has it back; a
maximal legal request leaves every other route responsive."""
import threading
import time

import httpx
import pytest

from tests.support.servers import serve
from tests.support.services import embedded_service

pytestmark = pytest.mark.integration  # embedded defaults: its own llama.cpp child process


@pytest.fixture(scope="module")
def embedded_app(tmp_path_factory):
    from app import create_app

    service = embedded_service(tmp_path_factory.mktemp("embedded-app"), llm_max_tokens=200)
    with serve(create_app(service.settings, service)) as base:
        yield base, service
    service.close()


def _ask_in_background(base: str, body: dict, out: dict) -> threading.Thread:
    def run():
        out["response"] = httpx.post(f"{base}/ask", json=body, timeout=600)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


PROBE_TIMEOUT = 10.0  # a monitoring probe's usual timeout: a stalled route fails it (speed itself is for bench/)


def _probe_while(thread: threading.Thread, base: str, paths: tuple[str, ...],
                 generating=lambda: True) -> list[tuple[str, int, float, bool]]:
    """(path, status, seconds, whether the LLM was generating when the probe was answered)"""
    probes = []
    while thread.is_alive():
        for path in paths:
            started = time.perf_counter()
            try:
                status = httpx.get(f"{base}{path}", timeout=PROBE_TIMEOUT).status_code
            except httpx.TimeoutException:
                status = 0
            probes.append((path, status, time.perf_counter() - started, generating()))
        time.sleep(0.3)
    return probes


def test_a_maximal_legal_request_leaves_health_and_spaces_responsive(embedded_app):
    base, service = embedded_app
    s = service.settings
    count = s.max_history_messages
    per_message = min(s.max_message_chars, s.max_history_chars // count)
    body = {"q": ("Сколько критических уязвимостей выявил аудит? " * 200)[:s.max_question_chars], "space_id": "demo",
            "history": [{"role": "user" if i % 2 == 0 else "assistant", "content": "аудит " * (per_message // 6)}
                        for i in range(count)]}
    out: dict = {}
    probes = _probe_while(_ask_in_background(base, body, out), base, ("/health", "/spaces"),
                          generating=lambda: service.llm.endpoints[0].in_flight > 0)
    assert out["response"].status_code == 200, out["response"].text[:300]
    assert out["response"].json()["answer"]
    failed = [p for p in probes if p[1] != 200]
    assert not failed, f"routes failed or timed out while the request ran: {failed}"
    answered_while_generating = {p[0] for p in probes if p[3]}
    assert answered_while_generating == {"/health", "/spaces"}, probes
    print(f"maximal request: {len(probes)} probes of /health and /spaces, slowest {max(p[2] for p in probes):.3f}s")


def test_health_is_200_during_generation_503_when_the_llm_dies_and_the_llm_is_restarted(embedded_app):
    base, service = embedded_app
    out: dict = {}
    thread = _ask_in_background(base, {"q": "Опиши подробно все решения всех протоколов.", "space_id": "demo"}, out)
    while not service.llm.endpoints[0].in_flight and thread.is_alive():
        time.sleep(0.05)
    probes = _probe_while(thread, base, ("/health",))
    assert out["response"].status_code == 200 and out["response"].json()["answer"]
    assert probes and all(status == 200 for _, status, _, _ in probes), probes
    print(f"health during generation: {len(probes)} probes, all 200, slowest {max(p[2] for p in probes):.3f}s")
    dead = service.local_llm.process
    dead.kill()                       # SIGKILL, like the OOM killer
    dead.wait(timeout=10)
    seen: list[tuple[int, str]] = []
    deadline = time.monotonic() + 180
    while not seen or seen[-1][0] != 200:
        assert time.monotonic() < deadline, f"the embedded LLM was not back in time: {seen[-5:]}"
        resp = httpx.get(f"{base}/health", timeout=30)
        seen.append((resp.status_code, str(resp.json()["llm"]["endpoints"][0].get("error", ""))))
        time.sleep(0.1)
    assert seen[0][0] == 503 and all(status == 503 for status, _ in seen[:-1])
    assert any("restarting" in error for _, error in seen), seen[:5]   # /health says why meanwhile
    assert service.local_llm.restarts == 1 and service.local_llm.process.pid != dead.pid
    resp = httpx.post(f"{base}/ask", json={"q": "Сколько уязвимостей выявил аудит?", "space_id": "demo"}, timeout=600)
    assert resp.status_code == 200 and resp.json()["answer"]      # no app restart needed
