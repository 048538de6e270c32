"""Every route of the app, REST, OpenAI, the sign-in and share pages and Gradio's own, behind one permission model
(AUTH=local, a real server over real Qdrant): the test walks the app's route table, so a route added later
cannot slip past. Without credentials only the public pages answer; with each role (and an API key, a shared
link's visitor, a stranger, the admin) each REST and OpenAI route does exactly what the role × action matrix
allows in space A, and nothing in space B."""
import itertools
import re
import time

import httpx
import pytest

from rag.access.roles import NEEDS
from tests.rag.access.test_access import MATRIX
from tests.support.access import PROTOCOL
from webapp.auth.gate import is_public

WHO = ("anonymous", "visitor", "viewer", "editor", "owner", "stranger", "admin", "key")
PLAIN_USERS = {"viewer", "editor", "owner", "stranger", "admin"}
_fresh = itertools.count()


def walk(routes, prefix=""):
    """(method, path) of every route, into mounted apps (Gradio's) and included routers."""
    from starlette.routing import Mount

    for route in routes:
        if isinstance(route, Mount):
            yield from walk(route.routes, prefix + route.path.rstrip("/"))
        elif hasattr(route, "effective_candidates"):              # FastAPI's included router
            yield from walk(route.effective_candidates(), prefix)
        else:
            inner = getattr(route, "original_route", route)
            for method in sorted(getattr(inner, "methods", None) or {"GET"}):
                yield method, prefix + route.path


def _fill(path: str) -> str:
    known = {"name": "A", "space": "A", "model": "A", "file_name": "p1.txt", "user": "dummy", "api_name": "chat"}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: known.get(m.group(1), "x"), path)


def test_without_credentials_only_the_public_pages_answer(access_world):
    base, _, _, app = access_world
    routes = sorted(set(walk(app.routes)))
    assert len(routes) > 60 and ("POST", "/gradio_api/upload") in routes and ("POST", "/ingest") in routes
    opened = []
    for method, path in routes:
        resp = httpx.request(method, base + _fill(path), timeout=30, follow_redirects=False)
        if resp.status_code != 401:
            opened.append((method, path))
    assert all(is_public(path) for _, path in opened), opened
    assert {p for _, p in opened} >= {"/health", "/metrics", "/login", "/s/{token}", "/c/{token}"}
    page = httpx.get(base + "/?space=A", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F%3Fspace%3DA"


def _call(base: str, service, who: str, creds: dict, method: str, path: str):
    """One request to `path` (a route template) in space A, made so that an allowed call can succeed."""
    url, kw = base + _fill(path), dict(creds)
    if path == "/ask":
        kw["json"] = {"q": "Сколько критических уязвимостей выявил аудит?", "space_id": "A"}
    elif path == "/v1/chat/completions":
        kw["json"] = {"model": "A", "messages": [{"role": "user", "content": "Сколько уязвимостей?"}]}
    elif path == "/spaces" and method == "POST":
        kw["json"] = {"name": f"new-{next(_fresh)}"}
    elif path == "/spaces/{name}" and method == "PATCH":
        kw["json"] = {"name": "A"}
    elif path == "/spaces/{name}" and method == "DELETE":        # a space of its own, with A's roles
        name = f"gone-{next(_fresh)}"
        service.create_space(name)
        for role in ("viewer", "editor", "owner"):
            service.access.grant(role, name, role)
        url = f"{base}/spaces/{name}"
    elif path.endswith("/feedback") and method == "POST":
        kw["json"] = {"rating": 1, "question": "q", "answer": "a"}
    elif path == "/ingest":
        kw["data"], kw["files"] = {"space_id": "A"}, [("files", ("added.txt", PROTOCOL.read_bytes()))]
    elif path == "/spaces/{name}/shares" and method == "POST":
        kw["json"] = {"hours": 1}
    elif path == "/shares/conversation":
        kw["json"] = {"space": "A", "turns": [{"question": "q", "answer": "a"}]}
    elif path == "/shares/{share_id}":
        from rag import Principal
        url = f"{base}/shares/{service.access.create_share(Principal(user='admin', admin=True), 'A').id}"
    elif path.endswith("/members/{user}") and method == "PUT":
        kw["json"] = {"role": "viewer"}
    elif path == "/spaces/{name}/documents/{file_name}" and method == "DELETE":
        url = f"{base}/spaces/A/documents/not-there.txt"     # allowed: 404 document_not_found
    elif path == "/keys" and method == "POST":
        kw["json"] = {"scopes": ["read"], "days": 1}
    elif path == "/keys/{key_id}":
        user = who if who in PLAIN_USERS else "owner"
        url = f"{base}/keys/{service.access.create_key(user)[0].id}"
    return httpx.request(method, url, timeout=60, **kw)


ACTION_OF = {   # REST and OpenAI route -> the action it needs in its space, or who may call it at all
    ("POST", "/ask"): "read", ("POST", "/v1/chat/completions"): "read", ("GET", "/v1/models/{model}"): "read",
    ("POST", "/spaces/{name}/feedback"): "read", ("GET", "/spaces/{name}/feedback"): "review_feedback",
    ("GET", "/spaces/{name}/documents"): "documents", ("GET", "/spaces/{name}/documents/{file_name}/original"):
    "documents", ("GET", "/ui/original/{space}/{file_name}"): "documents",
    ("DELETE", "/spaces/{name}/documents/{file_name}"): "delete_document", ("POST", "/ingest"): "ingest",
    ("POST", "/spaces/{name}/reindex"): "reindex",
    ("PATCH", "/spaces/{name}"): "rename_space", ("DELETE", "/spaces/{name}"): "delete_space",
    ("GET", "/spaces/{name}/shares"): "share", ("POST", "/spaces/{name}/shares"): "share",
    ("DELETE", "/shares/{share_id}"): "share",
    ("GET", "/spaces/{name}/members"): "manage_members", ("PUT", "/spaces/{name}/members/{user}"): "manage_members",
    ("DELETE", "/spaces/{name}/members/{user}"): "manage_members",
    ("POST", "/shares/conversation"): "chat_users", ("POST", "/spaces"): "create_spaces",
    ("GET", "/keys"): "plain_users", ("POST", "/keys"): "plain_users", ("DELETE", "/keys/{key_id}"): "plain_users",
    ("GET", "/me"): "anyone", ("GET", "/spaces"): "anyone", ("GET", "/v1/models"): "anyone",
}


def expected(who: str, need: str) -> bool:
    if who == "anonymous":
        return False
    if need == "anyone":
        return True
    if need in ("plain_users", "create_spaces"):
        return who in PLAIN_USERS
    if need == "chat_users":
        return who != "visitor" and who != "stranger"
    if who == "admin":
        return True
    if who == "key":       # the owner's key: A only, read scope only
        return need in ("read", "documents", "review_feedback")
    if who == "stranger":
        return False
    return MATRIX[need][("visitor", *("viewer", "editor", "owner")).index(who)]


def _code(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    return (body.get("error") or {}).get("code", "") if "error" in body else body.get("code", "")


def test_every_rest_and_openai_route_follows_the_matrix_for_every_role(access_world):
    base, service, w, app = access_world
    api_routes = {(m, p) for m, p in walk(app.routes) if not p.startswith("/gradio_api") and not is_public(p)
                  and (m, p.replace(":path", "")) not in {("GET", "/openapi.json"), ("GET", "/docs"),
                                                          ("GET", "/redoc"), ("GET", "/docs/oauth2-redirect")}
                  and p.startswith(("/ask", "/spaces", "/ingest", "/v1", "/me", "/keys", "/shares", "/ui/"))}
    classified = {(m, p.replace("{file_name:path}", "{file_name}")) for m, p in api_routes}
    assert classified == set(ACTION_OF), "classify every new route in ACTION_OF"
    assert set(NEEDS) <= set(ACTION_OF.values())
    failures = []
    for (method, path), need in ACTION_OF.items():
        for who in WHO:
            resp = _call(base, service, who, w.credentials[who], method, path)
            code, allowed = _code(resp), expected(who, need)
            if who == "anonymous":
                ok = resp.status_code == 401
            elif allowed:
                ok = resp.status_code not in (401, 403) and code not in ("forbidden", "space_not_found")
            else:
                ok = resp.status_code in (403, 404) and code in ("forbidden", "space_not_found")
            if not ok:
                failures.append((method, path, who, resp.status_code, resp.text[:200]))
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize("who", [w for w in WHO if w not in ("anonymous", "admin")])
def test_no_one_but_the_admin_reaches_space_b(access_world, who):
    base, _, w, _ = access_world
    creds = w.credentials[who]
    assert "B" not in [s["name"] for s in httpx.get(f"{base}/spaces", **creds).json()]
    assert "B" not in [m["id"] for m in httpx.get(f"{base}/v1/models", **creds).json()["data"]]
    for method, path, body in (("POST", "/ask", {"q": "аудит", "space_id": "B"}),
                               ("POST", "/v1/chat/completions", {"model": "B", "messages": [
                                   {"role": "user", "content": "аудит"}]}),
                               ("GET", "/spaces/B/documents", None), ("GET", "/ui/original/B/p1.txt", None),
                               ("GET", "/spaces/B/documents/p1.txt/original", None)):
        resp = httpx.request(method, base + path, json=body, timeout=60, **creds)
        assert resp.status_code == 404 and _code(resp) == "space_not_found", (method, path, resp.text)


def test_a_revoked_or_expired_key_is_refused(access_world):
    base, service, _, _ = access_world
    access = service.access
    info, key = access.create_key("viewer", spaces=["A"])
    assert httpx.get(f"{base}/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    access.revoke_key(info.id)
    revoked = httpx.get(f"{base}/v1/models", headers={"Authorization": f"Bearer {key}"})
    assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "invalid_api_key"
    _, short = access.create_key("viewer", ttl_s=0.05)
    time.sleep(0.1)
    assert httpx.get(f"{base}/spaces", headers={"Authorization": f"Bearer {short}"}).status_code == 401
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert httpx.get(f"{base}/spaces", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
