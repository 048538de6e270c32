"""The simulated users of bench.load. A session asks a question, then follow-ups that carry the conversation so far,
with a short think time between turns, and starts a new conversation after `turns` turns (or after a failed one),
until the run's time is up; a turn under way then is let finish. Sessions alternate between the app's two chat
surfaces: its OpenAI-compatible /v1/chat/completions (streamed, the history as earlier messages) and its Gradio
chat (/chat through gradio_client, the history as the chat's own value, as a browser sends it). Both are driven by
asyncio clients, which time the first token of a stream as it arrives (bench/serve_load.py: the OpenAI stream,
bench/gradio_chat.py: the Gradio chat over the browser's protocol, a browser session per Gradio user); a monitor
samples the app meanwhile."""
from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench.gradio_chat import GradioChat
from bench.load_monitor import Monitor
from bench.load_stats import error_kind
from bench.serve_load import RequestResult, Target, openai_client, openai_request

SURFACES = ("openai", "gradio")
# follow-ups as a user types them, in the documents' language (Russian: no translation round trip to the LLM)
FOLLOW_UPS = ["А кто за это отвечает?", "Какие сроки?", "Расскажи подробнее.", "Какие риски это создаёт?",
              "А что решили дальше?", "Какие цифры приводятся?"]

Send = Callable[[str, list[dict], str], Awaitable[RequestResult]]   # (question, history, browser session)


@dataclass
class Plan:
    sessions: int
    seconds: float
    max_tokens: int
    turns: int = 4                                   # a question and turns - 1 follow-ups, then a new conversation
    think_s: tuple[float, float] = (0.5, 2.0)        # pause after each answer, uniform
    surfaces: tuple[str, ...] = SURFACES
    timeout_s: float = 600.0
    seed: int = 15
    top_k: int | None = None                         # the Gradio chat's; None: its slider's default
    api_key: str = ""

    def surface_of(self, session: int) -> str:
        return self.surfaces[session % len(self.surfaces)]


@dataclass
class Outcome:
    records: list[dict[str, Any]]
    samples: list[dict[str, Any]]
    wall_s: float                 # from the first turn sent to the last one finished
    client_cpu_s: float           # the load generator's own CPU over the run (it shares the machine)
    warmup_errors: list[str] = field(default_factory=list)


def record(result: RequestResult, surface: str, session: int, turn: int, sent_s: float,
           history: int) -> dict[str, Any]:
    return {"t_s": round(sent_s, 3), "surface": surface, "session": session, "turn": turn, "history": history,
            "ok": result.ok, "ttft_ms": None if result.ttft_s is None else round(result.ttft_s * 1000, 1),
            "latency_ms": round(result.latency_s * 1000, 1), "tokens": result.tokens, "error": result.error,
            "kind": "" if result.ok else error_kind(result.error)}


class Load:
    """The sessions of one run and what they saw."""

    def __init__(self, plan: Plan, sends: dict[str, Send], questions: list[str]) -> None:
        self.plan, self.sends, self.questions = plan, sends, questions
        self.records: list[dict[str, Any]] = []
        self.in_flight = 0

    async def session(self, index: int, started: float, deadline: float) -> None:
        plan = self.plan
        rng = random.Random(plan.seed * 1000 + index)
        surface, send = plan.surface_of(index), self.sends[plan.surface_of(index)]
        # ramp up: the sessions start spread over the first tenth of the run (at most 10 s)
        await asyncio.sleep(rng.uniform(0, min(10.0, plan.seconds / 10)))
        conversation: list[dict] = []
        turn, browser = 0, GradioChat.new_session()
        while time.perf_counter() < deadline:
            prompt = rng.choice(self.questions) if turn == 0 else rng.choice(FOLLOW_UPS)
            sent = time.perf_counter()
            self.in_flight += 1
            try:
                result = await send(prompt, conversation, browser)
            finally:
                self.in_flight -= 1
            self.records.append(record(result, surface, index, turn, sent - started, len(conversation)))
            if result.ok and turn + 1 < plan.turns and result.conversation:
                conversation, turn = result.conversation, turn + 1
            else:
                conversation, turn = [], 0
            pause = min(rng.uniform(*plan.think_s), deadline - time.perf_counter())
            if pause > 0:
                await asyncio.sleep(pause)

    async def run(self, app_root: str, app_pid: int) -> Outcome:
        cpu, started = time.process_time(), time.perf_counter()
        monitor = Monitor(app_pid, app_root, started, lambda: self.in_flight)
        stop = asyncio.Event()
        watching = asyncio.create_task(monitor.run(stop))
        deadline = started + self.plan.seconds
        try:
            await asyncio.gather(*(self.session(i, started, deadline) for i in range(self.plan.sessions)))
        finally:
            stop.set()
            await watching
        return Outcome(sorted(self.records, key=lambda r: r["t_s"]), monitor.as_dicts(),
                       time.perf_counter() - started, time.process_time() - cpu)


async def drive(plan: Plan, app_root: str, app_pid: int, space: str, questions: list[str]) -> Outcome:
    """Asks one unmeasured question on each surface (the first answer pays for cold caches), then runs the
    sessions."""
    async with openai_client(plan.sessions, plan.timeout_s, plan.api_key) as client:
        target = Target("app", "openai", f"{app_root}/v1", space)
        chat = GradioChat(client, app_root, space, plan.top_k)
        await chat.connect()

        async def openai(prompt: str, history: list[dict], session: str) -> RequestResult:
            return await openai_request(client, target, prompt, plan.max_tokens, history)

        sends: dict[str, Send] = {"openai": openai, "gradio": chat.ask}
        warmup = [await sends[s](questions[0], [], chat.new_session()) for s in dict.fromkeys(plan.surfaces)]
        outcome = await Load(plan, sends, questions).run(app_root, app_pid)
        outcome.warmup_errors = [w.error for w in warmup if not w.ok]
        return outcome
