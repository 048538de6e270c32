"""schemathesis against the app's own OpenAPI document (issue 15): every operation gets generated requests, valid
and invalid ones, sent in-process (ASGI) to the whole app (the access gate, the guards, Gradio mounted) over the
scripted LLM and a real store, signed in as an admin. No response may be a 5xx (nor an exception out of the app,
which a server would answer 500), and each must match the document: a declared status code and content type, and a
body of the declared schema.

Phases, as `schemathesis run` has them: coverage (boundary values of every field, a fixed set), fuzzing (EXAMPLES
requests per operation and mode, positive and negative) and stateful (sequences that follow the document's links).
Path and body fields that name a space, a document or a user are sometimes the real ones (the space "fuzz" holding
the audit committee's protocol), so that requests get past 404 into the routes' work; a request may delete or rename
that space, and it is made again before the next. The run is driven by schemathesis' engine, as its CLI does:
its pytest integration (`schemathesis.pytest.from_fixture`) fails on pytest 9.2 (`Function` has no `_nodeid`).
It prints the number of requests per operation and phase."""
from __future__ import annotations

import random
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.engine import events, from_schema

from tests.support.access import PASSWORD, PROTOCOL
from tests.support.fault_llm import MODEL

SPACE, DOC, MEMBER = "fuzz", "p1.txt", "viewer"
EXAMPLES = 30            # fuzzed requests per operation and generation mode
STATEFUL_STEPS = 6
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")
REAL = {"name": SPACE, "space_id": SPACE, "space": SPACE, "model": SPACE, "file_name": DOC, "user": MEMBER}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory, fault_llm):
    """(app, service, the admin's session cookies): AUTH=local over the scripted endpoint."""
    from schemathesis.python.asgi import shutdown_lifespans

    from app import create_app
    from config.settings import load_settings
    from rag import build_service

    tmp = tmp_path_factory.mktemp("schemathesis")
    settings = load_settings(env_file=None, qdrant_path=str(tmp / "qdrant"), qdrant_url="", auth="local",
                             allowed_hosts="testserver", llm_base_url=fault_llm.base_url, llm_model=MODEL, top_k=3,
                             share_questions_per_min=10_000)
    service = build_service(settings)
    service.access.add_user("admin", PASSWORD, admin=True)
    service.access.add_user(MEMBER, PASSWORD)
    _ensure_space(service)
    yield create_app(settings, service), service, {"qc_session": service.access.session_token("admin", 3600)}
    shutdown_lifespans()        # schemathesis started the app's lifespan; its end closes the service


def _ensure_space(service) -> None:
    """The space "fuzz" with its document and a member, made again when a request deleted or renamed it."""
    if service.store.get_space(SPACE) is None or not service.documents(SPACE):
        service.ingest_files(SPACE, [(DOC, PROTOCOL)])
        service.access.grant(MEMBER, SPACE, "viewer")


def _schema(app, service, cookies: dict, seed: int):
    config = schemathesis.Config.from_dict({
        "seed": seed, "continue-on-failure": True, "cache": {"enabled": False},
        "headers": {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
        "generation": {"max-examples": EXAMPLES, "mode": "all", "with-security-parameters": False,
                       "database": "none"},
        "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    })
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config, cookies=cookies)

    def sometimes_real(_context, values):
        names = REAL.keys() & values.keys() if isinstance(values, dict) else set()
        if not names:
            return st.just(values)
        return st.booleans().map(lambda real: {**values, **{k: REAL[k] for k in names}} if real else values)

    schema.hook("flatmap_path_parameters")(sometimes_real)
    schema.hook("flatmap_body")(sometimes_real)
    schema.hook("after_call")(lambda _context, _case, _response: _ensure_space(service))
    return schema


class Run:
    """What the engine reports: requests by (phase, operation) and status, failed checks, errors out of the app."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()
        self.statuses: Counter[int] = Counter()
        self.problems: list[str] = []

    def record(self, event) -> None:
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            phase = getattr(event.phase, "value", str(event.phase))
            for case_id, interaction in recorder.interactions.items():
                if interaction.response is not None:
                    self.requests[(phase, recorder.label)] += 1
                    self.statuses[interaction.response.status_code] += 1
                for check in recorder.checks.get(case_id, []):
                    if check.status.name == "FAILURE" and check.failure_info is not None:
                        case = recorder.cases[case_id].value
                        self.problems.append(f"{recorder.label}: {check.name}: {check.failure_info.failure.title} "
                                             f"(got {getattr(interaction.response, 'status_code', None)})\n  "
                                             f"{case.as_curl_command()}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            error = getattr(event, "value", None) or getattr(event, "exception", None)
            self.problems.append(f"{getattr(event, 'label', 'run')}: {type(error).__name__}: {error}")

    def summary(self, operations: list[str], seconds: float, seed: int) -> str:
        by_phase = Counter()
        for (phase, _), n in self.requests.items():
            by_phase[phase] += n
        lines = [f"schemathesis (seed {seed}): {len(operations)} operations, {sum(self.requests.values())} requests "
                 f"in {seconds:.0f} s; by phase {dict(by_phase)}; by status {dict(sorted(self.statuses.items()))}"]
        lines += [f"  {sum(n for (_, op), n in self.requests.items() if op == label):5d}  {label}"
                  for label in operations]
        return "\n".join(lines)


def test_generated_requests_get_no_5xx_and_match_the_document(fuzz_world):
    app, service, cookies = fuzz_world
    seed = random.randrange(1 << 32)
    schema = _schema(app, service, cookies, seed)
    operations = [result.ok().label for result in schema.get_all_operations()]
    run, started = Run(), time.monotonic()
    for event in from_schema(schema).execute():
        run.record(event)
    summary = run.summary(operations, time.monotonic() - started, seed)
    print("\n" + summary)
    assert not run.problems, summary + "\n" + "\n".join(run.problems[:20])
    ran = Counter()
    for (_, label), n in run.requests.items():
        ran[label] += n
    assert all(ran[label] >= 3 for label in operations), summary   # a route without parameters has few cases
    assert all(run.statuses[code] for code in (200, 201, 404, 422)), summary
