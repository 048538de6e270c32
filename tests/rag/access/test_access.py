"""Users, roles and API keys on a real store: argon2 hashes (no plaintext anywhere in the store's files), the role
× action matrix, keys limited to spaces, scopes and time, revocation, the first admin from the settings, and the
CLI that manages them."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import AccessError, Principal, UserExists, UserNotFound, build_service
from rag.access.roles import NEEDS
from tests.support.paths import ROOT

PASSWORD = "correct horse battery"


@pytest.fixture
def service(make_settings):
    made = build_service(make_settings(), start_llm=False)
    for space in ("A", "B"):
        made.create_space(space)
    yield made
    made.close()


def test_passwords_are_argon2_hashes_and_never_stored_in_plain(service, tmp_path):
    access = service.access
    access.add_user("анна", PASSWORD)
    with pytest.raises(UserExists):
        access.add_user("анна", PASSWORD)
    with pytest.raises(AccessError):
        access.add_user("short", "1234567")
    assert access.users.get("анна").password_hash.startswith("$argon2id$")
    assert access.sign_in("анна", PASSWORD).user == "анна"
    assert access.sign_in("анна", "wrong password") is None and access.sign_in("nobody", PASSWORD) is None
    service.store.close()   # flush the embedded store, then look at every byte it wrote
    stored = b"".join(p.read_bytes() for p in Path(service.settings.qdrant_path).rglob("*") if p.is_file())
    assert PASSWORD.encode() not in stored and b"$argon2id$" in stored


MATRIX = {  # action -> (visitor of a shared link, viewer, editor, owner); the admin and AUTH=off: every cell
    "read": (True, True, True, True), "documents": (False, True, True, True),
    "review_feedback": (False, False, True, True), "ingest": (False, False, True, True),
    "delete_document": (False, False, True, True), "reindex": (False, False, True, True),
    "rename_space": (False, False, False, True), "delete_space": (False, False, False, True),
    "share": (False, False, False, True), "manage_members": (False, False, False, True),
}


def test_the_role_by_action_matrix(service):
    access = service.access
    assert set(MATRIX) == set(NEEDS)
    for role in ("viewer", "editor", "owner"):
        access.add_user(role, PASSWORD)
        access.grant(role, "A", role)
    access.add_user("admin", PASSWORD, admin=True)
    access.add_user("stranger", PASSWORD)
    access.grant("owner", "B", "owner")
    visitor = access.share_principal(access.create_share(Principal(user="owner"), "A").token)
    for action, allowed in MATRIX.items():
        for role, expected in zip(("visitor", "viewer", "editor", "owner"), allowed, strict=True):
            who = visitor if role == "visitor" else Principal(user=role)
            assert access.allowed(who, "A", action) is expected, (role, action)
            if role != "owner":
                assert access.allowed(who, "B", action) is False, (role, action, "another space")
        assert access.allowed(Principal(user="admin", admin=True), "B", action)
        assert access.allowed(Principal(user="local", admin=True, local=True), "B", action)
        assert not access.allowed(Principal(user="stranger"), "A", action)
    assert access.visible_spaces(Principal(user="viewer"), ["A", "B"]) == ["A"]
    access.revoke("editor", "A")                       # counts at once: the registry decides, not the principal
    assert not access.allowed(Principal(user="editor", roles={"A": "editor"}), "A", "read")


def test_keys_are_limited_to_their_spaces_scopes_and_time(service):
    access = service.access
    access.add_user("owner", PASSWORD)
    access.grant("owner", "A", "owner")
    access.grant("owner", "B", "owner")
    info, key = access.create_key("owner", spaces=["A"], scopes=["read"])
    stored = access.keys.get(info.id)
    assert key.startswith("qc_") and key.split("_", 2)[2] not in str(stored) and len(key) > 40
    who = access.key_principal(key)
    assert who.key_id == info.id
    assert access.allowed(who, "A", "read") and not access.allowed(who, "B", "read")   # not space B
    assert not access.allowed(who, "A", "ingest")                                       # not beyond its scope
    assert access.key_principal(key[:-2] + "xx") is None and access.key_principal("qc_nope_x") is None
    _, wide = access.create_key("owner", scopes=["read", "ingest"])
    assert access.allowed(access.key_principal(wide), "B", "ingest")
    access.revoke("owner", "B")                                                          # never beyond its user
    assert not access.allowed(access.key_principal(wide), "B", "read")
    assert access.revoke_key(info.id) and access.key_principal(key) is None             # revoked
    _, brief = access.create_key("owner", ttl_s=0.5)
    assert access.key_principal(brief) is not None
    time.sleep(0.6)
    assert access.key_principal(brief) is None                                           # expired
    with pytest.raises(AccessError):
        access.create_key("owner", scopes=["root"])
    with pytest.raises(UserNotFound):
        access.create_key("nobody")
    access.remove_user("owner")
    assert access.key_principal(wide) is None                                            # gone with its user


def test_the_first_admin_comes_from_the_settings(make_settings):
    settings = make_settings(admin_user="root", admin_password=PASSWORD)
    service = build_service(settings, start_llm=False)
    try:
        assert [(u.name, u.admin) for u in service.access.list_users()] == [("root", True)]
        assert service.access.sign_in("root", PASSWORD).admin
    finally:
        service.close()
    with pytest.raises(SystemExit):
        make_settings(admin_user="root", admin_password="short")


def test_the_cli_manages_users_and_keys(make_settings):
    settings = make_settings()
    service = build_service(settings, start_llm=False)
    service.create_space("A")
    service.close()                     # the CLI opens the same embedded store
    env = {**os.environ, "QDRANT_PATH": settings.qdrant_path}

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=ROOT, env=env, input=stdin,
                              capture_output=True, text=True, timeout=300)

    assert cli("users", "add", "мария", stdin=PASSWORD + "\n").returncode == 0
    assert cli("users", "grant", "мария", "A", "editor").returncode == 0
    listed = cli("users", "list").stdout
    assert "мария\tuser\tA: editor" in listed and PASSWORD not in listed
    made = cli("keys", "create", "мария", "--space", "A", "--scope", "read", "--days", "1")
    key = made.stdout.strip()
    assert made.returncode == 0 and key.startswith("qc_") and "shown only now" in made.stderr
    key_id = key[3:].split("_", 1)[0]
    assert f"{key_id}\tмария\tactive" in cli("keys", "list").stdout
    assert cli("keys", "revoke", key_id).returncode == 0
    assert f"{key_id}\tмария\trevoked" in cli("keys", "list").stdout
    assert cli("users", "grant", "мария", "A", "god").returncode != 0
    assert cli("users", "remove", "мария").returncode == 0
    assert cli("users", "remove", "мария").returncode == 2


def test_access_events_are_logged_and_counted_without_secrets(service, caplog):
    access = service.access
    with caplog.at_level("INFO", logger="rag.access.facade"):
        access.add_user("ivan", PASSWORD)
        access.sign_in("ivan", PASSWORD)
        access.sign_in("ivan", "not the password")
        _, key = access.create_key("ivan")
        access.key_principal(key)
        access.key_principal(key + "x")
    samples = {(s.name, s.labels.get("action"), s.labels.get("result")): s.value
               for m in service.telemetry.registry.collect() for s in m.samples
               if s.name == "quadrate_audit_events_total"}
    assert samples[("quadrate_audit_events_total", "sign_in", "ok")] == 1
    assert samples[("quadrate_audit_events_total", "sign_in", "refused")] == 1
    assert samples[("quadrate_audit_events_total", "key_use", "ok")] == 1
    assert samples[("quadrate_audit_events_total", "key_use", "refused")] == 1
    assert caplog.text.count("audit:") == 6
    secret = key.split("_", 2)[2]
    assert PASSWORD not in caplog.text and secret not in caplog.text and "not the password" not in caplog.text
