"""Real services and app servers built the way the app builds them, on a temp store."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.models import TEST_LLM
from tests.support.paths import PROTOCOLS
from tests.support.servers import free_port, serve


def embedded_service(tmp: Path, **overrides):
    """A RagService on embedded defaults (its own llama.cpp child process on the test model) with the first
    protocols of the demo corpus in the space "demo"."""
    from config.settings import load_settings
    from rag import build_service

    settings = load_settings(env_file=None, qdrant_path=str(tmp / "qdrant"), qdrant_url="", llm_base_url="",
                             local_llm_model=TEST_LLM, **{"top_k": 3, **overrides})
    service = build_service(settings)
    service.ingest_files("demo", [(p.name, p) for p in sorted(PROTOCOLS.glob("protocol_00*.txt"))])
    return service


def start_app(tmp: Path, **overrides):
    """A fresh service built from `overrides` and a server context (tests.support.servers.serve) around the app
    on it: `with server as base_url: ...`; close the service afterwards."""
    from app import create_app
    from config.settings import load_settings
    from rag import build_service

    settings = load_settings(env_file=None, qdrant_path=str(tmp / "qdrant"), qdrant_url="", port=free_port(),
                             **overrides)
    service = build_service(settings)
    return service, serve(create_app(settings, service), port=settings.port)


@contextmanager
def app_over_stub(tmp: Path, stub, with_protocol: bool = True, **overrides) -> Iterator[tuple[str, Any]]:
    """The app over a scripted LLM endpoint (tests.support.fault_llm), top_k 3, with the audit committee's
    protocol as "p1.txt" in the space "demo" (unless not `with_protocol`): yields (base URL, service)."""
    from tests.support.fault_llm import MODEL

    service, server = start_app(tmp, llm_base_url=stub.base_url, **{"top_k": 3, "llm_model": MODEL, **overrides})
    try:
        if with_protocol:
            service.ingest_files("demo", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
        with server as base:
            yield base, service
    finally:
        service.close()
