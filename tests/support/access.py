"""A small organisation on a real store, for the access tests: spaces A and B (the audit committee's protocol as
"p1.txt" in each), a viewer, an editor and an owner of A, a stranger with no role, an admin, an API key of A's owner
limited to A and the read scope, and a shared link to A; with the credentials each presents over HTTP."""
from __future__ import annotations

from dataclasses import dataclass, field

from rag import Principal
from tests.support.paths import PROTOCOLS

PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "owner")
PROTOCOL = PROTOCOLS / "protocol_001_audit_committee_meeting.txt"


@dataclass
class World:
    credentials: dict[str, dict] = field(default_factory=dict)    # who -> httpx request kwargs (headers/cookies)
    share_token: str = ""
    key: str = ""


def make_world(service) -> World:
    access, world = service.access, World()
    for space in ("A", "B"):
        service.ingest_files(space, [("p1.txt", PROTOCOL)])
    for name in (*ROLES, "stranger", "dummy"):
        access.add_user(name, PASSWORD)
    for role in ROLES:
        access.grant(role, "A", role)
    access.add_user("admin", PASSWORD, admin=True)
    for name in (*ROLES, "stranger", "admin"):
        world.credentials[name] = {"cookies": {"qc_session": access.session_token(name, 3600)}}
    _, world.key = access.create_key("owner", spaces=["A"], scopes=["read"])
    world.credentials["key"] = {"headers": {"Authorization": f"Bearer {world.key}"}}
    world.share_token = access.create_share(Principal(user="owner"), "A").token
    world.credentials["visitor"] = {"cookies": {"qc_share": world.share_token}}
    world.credentials["anonymous"] = {}
    return world
