"""Signing in and out on a real server (AUTH=local): the login page in the browser's language, a wrong password,
throttled guessing, the session cookie's flags (HttpOnly, SameSite=Lax, Secure behind HTTPS from a trusted
proxy), no open redirect, sign-out; AUTH=proxy trusting the user header only from TRUSTED_PROXIES; and every
sign-in, key use, share, upload and deletion audited in the log and the metric, with no password, key or token in
the log or the store."""
import logging
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.access import PASSWORD
from tests.support.services import app_over_stub

ADMIN_PASSWORD = "admin-password-42"


@pytest.fixture(scope="module")
def local(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("sign-in"), fault_llm, auth="local", admin_user="root",
                       admin_password=ADMIN_PASSWORD, trusted_proxies="127.0.0.1") as (base, service):
        service.access.add_user("vera", PASSWORD)
        service.access.grant("vera", "demo", "editor")
        yield base, service


def _signed_in(base: str, name: str = "vera", password: str = PASSWORD, **kw) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, **kw)
    resp = client.post("/login", data={"name": name, "password": password, "next": "/?space=demo"})
    assert resp.status_code == 303 and resp.headers["location"] == "/?space=demo", resp.text
    return client


def test_the_login_page_speaks_the_browsers_language(local):
    base, _ = local
    page = httpx.get(f"{base}/login?next=/", headers={"accept-language": "ru-RU,ru;q=0.9"})
    assert page.status_code == 200 and "Вход в Quadrate Chat" in page.text and 'name="password"' in page.text
    assert "Sign in to Quadrate Chat" in httpx.get(f"{base}/login").text


def test_a_wrong_password_is_refused_and_guessing_is_throttled(local):
    base, _ = local
    client = httpx.Client(base_url=base, timeout=60, headers={"x-test": "guess"})
    local_admin = {"name": "root", "password": ADMIN_PASSWORD}
    statuses = [client.post("/login", data={"name": "root", "password": f"guess-{i}"}).status_code
                for i in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    assert "qc_session" not in client.cookies
    assert client.post("/login", data=local_admin).status_code == 429      # for a minute, from this address
    assert client.post("/login", data={"name": "vera", "password": PASSWORD}).status_code == 303   # others: no


def test_the_session_cookie_is_signed_httponly_lax_and_secure_behind_https(tmp_path, fault_llm):
    with app_over_stub(tmp_path, fault_llm, with_protocol=False, auth="local", trusted_proxies="127.0.0.1") as (
            base, service):
        service.access.add_user("vera", PASSWORD)
        plain = httpx.post(f"{base}/login", data={"name": "vera", "password": PASSWORD})
        cookie = plain.headers["set-cookie"].lower()
        assert "qc_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie
        https = httpx.post(f"{base}/login", data={"name": "vera", "password": PASSWORD},
                           headers={"x-forwarded-proto": "https"})
        assert "; secure" in https.headers["set-cookie"].lower()
        assert httpx.post(f"{base}/login", data={"name": "vera", "password": PASSWORD, "next": "//evil.example/x"}
                          ).headers["location"] == "/"          # no open redirect
        client = _signed_in(base)
        assert client.get("/me").json()["user"] == "vera"
        forged = client.cookies["qc_session"][:-2] + "xx"
        assert httpx.get(f"{base}/me", cookies={"qc_session": forged}).status_code == 401
        client.post("/logout")
        assert client.get("/me").status_code == 401


def test_proxy_auth_trusts_the_header_only_from_trusted_proxies(tmp_path, fault_llm):
    header = {"X-Forwarded-User": "sso.alice@example.com"}
    with app_over_stub(tmp_path / "trusted", fault_llm, with_protocol=False, auth="proxy",
                       trusted_proxies="127.0.0.1/32") as (base, service):
        me = httpx.get(f"{base}/me", headers=header)
        assert me.status_code == 200 and me.json()["user"] == "sso.alice@example.com" and me.json()["roles"] == {}
        assert httpx.get(f"{base}/spaces", headers=header).json() == []     # no role until one is granted
        service.create_space("team")
        service.access.grant("sso.alice@example.com", "team", "viewer")
        assert [s["name"] for s in httpx.get(f"{base}/spaces", headers=header).json()] == ["team"]
        assert httpx.get(f"{base}/me").status_code == 401                  # no header: nobody
    with app_over_stub(tmp_path / "untrusted", fault_llm, with_protocol=False, auth="proxy",
                       trusted_proxies="10.0.0.0/8") as (base, _):
        refused = httpx.get(f"{base}/me", headers=header)
        assert refused.status_code == 401 and "TRUSTED_PROXIES" in refused.json()["detail"]


def test_access_events_are_audited_without_secrets(local, caplog):
    base, service = local
    caplog.set_level(logging.INFO)
    httpx.post(f"{base}/login", data={"name": "vera", "password": "not-her-password"})
    client = _signed_in(base)
    key = client.post("/keys", json={"scopes": ["read", "ingest"]}).json()["key"]
    keyed = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert keyed.post("/ingest", data={"space_id": "demo"}, files=[("files", ("n.txt", "Заметка".encode()))]
                      ).status_code == 200
    assert keyed.delete("/spaces/demo/documents/n.txt").status_code == 200
    root = httpx.Client(base_url=base, timeout=60, cookies={
        "qc_session": service.access.session_token("root", 60)})      # root's sign-in is throttled above
    share = root.post("/spaces/demo/shares", json={"hours": 1}).json()
    root.delete(f"/shares/{share['id']}")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audit:")]
    for needle in ("sign-in 'vera' failed", "sign-in 'vera' ok", "used by vera",
                   "upload by vera in space demo: ok (n.txt)", "delete_document by vera in space demo: ok (n.txt)",
                   f"share {share['id']} of space demo made by root", f"share {share['id']} of space demo revoked"):
        assert any(needle in line for line in lines), (needle, lines)
    log_text = caplog.text
    for secret in (PASSWORD, "not-her-password", ADMIN_PASSWORD, key, key.split("_", 2)[2], share["token"],
                   client.cookies["qc_session"]):
        assert secret not in log_text
    service.store.close()      # flush the embedded store, then read every byte it wrote
    stored = b"".join(p.read_bytes() for p in Path(service.settings.qdrant_path).rglob("*") if p.is_file())
    for secret in (PASSWORD, ADMIN_PASSWORD, key.split("_", 2)[2]):
        assert secret.encode() not in stored
    assert b"$argon2id$" in stored


def test_the_audit_metric_counts_by_action_and_result(local):
    base, _ = local
    text = httpx.get(f"{base}/metrics").text
    counts = {(s.labels["action"], s.labels["result"]): s.value for f in text_string_to_metric_families(text)
              if f.name == "quadrate_audit_events" for s in f.samples if s.name.endswith("_total")}
    assert counts[("sign_in", "refused")] >= 1 and counts[("sign_in", "ok")] >= 1
    assert counts[("upload", "ok")] >= 1 and counts[("share_create", "ok")] >= 1 and counts[("key_use", "ok")] >= 1
