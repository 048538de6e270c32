"""The app's Gradio chat (api_name /chat) as the benchmarks drive it, two ways:

- `GradioChat`: asyncio and httpx speaking the browser's own protocol (gradio's SSE v3: POST queue/join, then the
  session's queue/data event stream, whose updates after the first are diffs). One coroutine per chat, no thread:
  the updates are timed as they arrive, and 64 chats cost the load generator little CPU. bench.load uses it.
- `GradioDriver`: gradio_client (a dev dependency), the Python client an integrator would use: one Client (one
  browser session) per chat in flight, in threads. bench.serve uses it.

Each update of the growing answer is one token (the app shows tokens at most every 50 ms, so one update may hold
several); the status lines before the first token ("searching…", "N sources found…") are not answer text, and the
last update, which only re-renders the answer with its citations, is not counted (`ChatUpdates`)."""
from __future__ import annotations

import asyncio
import itertools
import json
import queue
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.serve_load import RequestResult, Target

# the app's status lines before the first token (webapp/ui/chat_stream.py, STATUS "searching" and "reading")
GRADIO_STATUS_PREFIXES = ("Ищу в документах", "Найдено источников", "Searching the documents", "Sources found")


def _answer_text(history: Any) -> str | None:
    """The last assistant message of a Gradio chat history, or None while it is only a status line."""
    if not isinstance(history, list) or not history or not isinstance(history[-1], dict):
        return None
    content = history[-1].get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str) or history[-1].get("role") != "assistant":
        return None
    return None if content.startswith(GRADIO_STATUS_PREFIXES) else content


def _final_render(before: str, last: str) -> bool:
    """Whether the last update of a chat only re-renders the finished answer: stripped, with its "Sources:" block
    (webapp/ui/citations.py) appended."""
    added = last[len(before.rstrip()):] if last.startswith(before.rstrip()) else last
    return last.rstrip() == before.rstrip() or any(f"\n\n{h}:\n" in added for h in ("Источники", "Sources"))


class ChatUpdates:
    """One answer of the Gradio chat as its updates arrive: the times the answer's text changed (status lines left
    out) and the chat's last value; then the request's result. A chat with fewer than two answer updates, or one
    that answers with its warning sign, failed; the last update, which only adds the citations, is no token."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.times: list[float] = []
        self.texts: list[str] = []
        self.chat: Any = None

    def see(self, chat: Any, now: float) -> None:
        self.chat = chat
        new = _answer_text(chat)
        if new is not None and (not self.texts or new != self.texts[-1]):
            self.times.append(now)
            self.texts.append(new)

    def failed(self, error: str) -> RequestResult:
        return RequestResult(False, time.perf_counter() - self.started, error=error[:300])

    def result(self) -> RequestResult:
        times, texts = self.times, self.texts
        text = texts[-1] if texts else None
        if len(times) < 2:
            return self.failed(f"the chat gave {len(times)} answer updates: {text!r:.200}")
        if text is not None and text.lstrip().startswith("⚠️"):
            return self.failed(f"the chat answered with an error: {text[:200]!r}")
        if _final_render(texts[-2], texts[-1]):   # the done update: the answer with its citations, no token
            times = times[:-1]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        return RequestResult(True, time.perf_counter() - self.started, times[0] - self.started, gaps, len(times),
                             conversation=list(self.chat) if isinstance(self.chat, list) else [])


class GradioDriver:
    """Chats through gradio_client (imported here: a dev dependency), one Client (one browser session) per chat in
    flight: one shared session races its stream's close against new jobs and cancels them under load.
    gradio_client delivers each job's updates from a thread that looks for new messages every 50 ms, so TTFT and
    gaps seen through it are quantised by that."""

    POLL_S = 0.005

    def __init__(self, target: Target, concurrency: int, top_k: int | None, api_key: str = "") -> None:
        from gradio_client import Client

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None

        def connect(_: int) -> Client:
            return Client(f"{target.url}/", verbose=False, max_workers=4, headers=headers)

        with ThreadPoolExecutor(max_workers=8) as pool:
            self.clients: queue.SimpleQueue = queue.SimpleQueue()
            for client in pool.map(connect, range(concurrency)):
                self.clients.put(client)
        self.space = target.model
        self.top_k = top_k if top_k is not None else self._default_top_k()
        self.executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="gradio-chat")

    def _default_top_k(self) -> int:
        """The chat's own default: the top_k slider's value as the app announces it."""
        client = self.clients.get()
        try:
            info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/chat"]
        finally:
            self.clients.put(client)
        slider: dict = next((p for p in info["parameters"] if p.get("component") == "Slider"), {})
        return int(slider.get("parameter_default") or 3)

    def request(self, prompt: str, history: list[dict] | None = None) -> RequestResult:
        updates = ChatUpdates(time.perf_counter())
        seen = 0
        client = self.clients.get()
        try:
            job = client.submit(prompt, history or [], self.space, self.top_k, api_name="/chat")
            while True:
                finished = job.done()
                outputs = job.outputs()
                now = time.perf_counter()
                for output in outputs[seen:]:
                    updates.see(output[0] if isinstance(output, (tuple, list)) else output, now)
                seen = len(outputs)
                if finished:
                    break
                time.sleep(self.POLL_S)
            job.result()
        except Exception as err:
            return updates.failed(f"{type(err).__name__}: {err}")
        finally:
            self.clients.put(client)
        return updates.result()

    async def __call__(self, prompt: str, history: list[dict] | None = None) -> RequestResult:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.request, prompt, history)

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        while not self.clients.empty():
            close = getattr(self.clients.get(), "close", None)
            if close is not None:
                close()


class GradioChat:
    """The Gradio chat of the app at `root` over the browser's protocol, through a shared httpx.AsyncClient; call
    `connect()` once (it reads the app's /config), then `ask(...)` per question. A chat's `session` is its browser
    session (gradio's session hash): one per simulated user."""

    def __init__(self, client: httpx.AsyncClient, root: str, space: str, top_k: int | None = None) -> None:
        self.client, self.root, self.space, self.top_k = client, root.rstrip("/"), space, top_k
        self.base, self.fn_index = "", -1

    async def connect(self) -> None:
        resp = await self.client.get(f"{self.root}/config")
        resp.raise_for_status()
        config = resp.json()
        if config.get("protocol") != "sse_v3":
            raise RuntimeError(f"the app speaks gradio protocol {config.get('protocol')!r}, this client sse_v3")
        self.base = f"{self.root}{config.get('api_prefix', '')}"
        chat = next((d for d in config["dependencies"] if d.get("api_name") == "chat"), None)
        if chat is None:
            raise RuntimeError(f"{self.root} has no Gradio endpoint named chat")
        self.fn_index = int(chat["id"])
        if self.top_k is None:   # the chat's own default: the top_k slider's value (its 4th input)
            slider = next(c for c in config["components"] if c["id"] == chat["inputs"][3])
            self.top_k = int(slider["props"]["value"])

    @staticmethod
    def new_session() -> str:
        return uuid.uuid4().hex[:12]

    async def ask(self, prompt: str, history: list[dict] | None, session: str) -> RequestResult:
        from gradio_client.utils import apply_diff

        updates = ChatUpdates(time.perf_counter())
        body = {"data": [prompt, history or [], self.space, self.top_k, []], "fn_index": self.fn_index,
                "session_hash": session, "trigger_id": None, "event_data": None}
        try:
            join = await self.client.post(f"{self.base}/queue/join", json=body)
            if join.status_code != 200:
                return updates.failed(f"HTTP {join.status_code}: {join.text[:300]}")
            event = join.json()["event_id"]
            chat: Any = None
            async with self.client.stream("GET", f"{self.base}/queue/data", params={"session_hash": session}) as resp:
                if resp.status_code != 200:
                    return updates.failed(f"HTTP {resp.status_code}: {(await resp.aread()).decode()[:300]}")
                async for line in resp.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    msg = json.loads(line[5:])
                    kind = msg.get("msg")
                    if kind in ("close_stream", "server_stopped") or msg.get("message") == "server_stopped":
                        break
                    if msg.get("event_id") != event or kind not in ("process_generating", "process_completed"):
                        continue
                    if not msg.get("success", True):
                        return updates.failed(f"error event: {json.dumps(msg.get('output'), ensure_ascii=False)}")
                    data = (msg.get("output") or {}).get("data") or [None]
                    # the first update and the completion carry whole values, the updates between them diffs
                    chat = data[0] if chat is None or kind == "process_completed" else apply_diff(chat, data[0])
                    updates.see(chat, time.perf_counter())
                    if kind == "process_completed":
                        break
        except Exception as err:
            return updates.failed(f"{type(err).__name__}: {err}")
        return updates.result()
