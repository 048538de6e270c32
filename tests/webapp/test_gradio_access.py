"""Gradio's own API under the same permission model (AUTH=local): its named endpoints through gradio_client with
each role's session cookie, and its private handlers through crafted queue calls (what a script could send without
the page), each refused on the server when the role does not allow it; and Gradio's upload cache keeps no copy."""
from pathlib import Path

import pytest
from gradio.utils import get_upload_folder
from gradio_client import Client, handle_file

from tests.support.access import PROTOCOL
from tests.support.gradio_calls import Session, fn_index


def _client(base: str, w, who: str) -> Client:
    cookies = w.credentials[who].get("cookies", {})
    headers = {**w.credentials[who].get("headers", {}),
               **({"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {})}
    return Client(f"{base}/", headers=headers, verbose=False)


def _last(history) -> str:
    content = history[-1]["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


def test_no_gradio_endpoint_without_credentials(access_world):
    base = access_world[0]
    with pytest.raises(Exception, match="credentials were not provided"):
        Client(f"{base}/", verbose=False)


def test_chat_answers_a_member_and_refuses_others(access_world):
    base, _, w, _ = access_world
    question = "Сколько критических уязвимостей выявил аудит?"
    for who in ("viewer", "visitor", "key", "admin"):
        history, _, stored = _client(base, w, who).predict(question, [], "A", 2, api_name="/chat")
        assert stored and stored["items"], (who, _last(history))
    for who, space in (("stranger", "A"), ("viewer", "B"), ("visitor", "B"), ("key", "B")):
        history, _, stored = _client(base, w, who).predict(question, [], space, 2, api_name="/chat")
        assert stored is None and "не позволяет" in _last(history), (who, space)   # in the question's language


def test_upload_needs_an_editor_and_leaves_no_cached_copy(access_world, tmp_path):
    base, service, w, _ = access_world
    for who in ("viewer", "visitor", "stranger"):
        with pytest.raises(Exception, match="403"):      # Gradio's upload route itself refuses them
            _client(base, w, who).predict([handle_file(str(PROTOCOL))], "A", api_name="/upload")
    note = tmp_path / "editor-note.txt"
    note.write_text("Записка редактора: бюджет аудита утверждён.", encoding="utf-8")
    editor = _client(base, w, "editor")
    results, _, _ = editor.predict([handle_file(str(note))], "A", api_name="/upload")
    assert results["data"][0][1] == "ok" and "editor-note.txt" in [d.name for d in service.documents("A")]
    assert not list(Path(get_upload_folder()).rglob("editor-note.txt")), \
        "the uploaded file stayed in Gradio's cache after it was ingested"
    with pytest.raises(Exception, match="does not allow"):   # an editor of A only
        editor.predict([handle_file(str(note))], "B", api_name="/upload")


def test_status_is_the_admins_and_spaces_are_made_by_users(access_world):
    base, service, w, _ = access_world
    assert "Overall" in _client(base, w, "admin").predict(api_name="/status")[0]
    with pytest.raises(Exception, match="does not allow"):
        _client(base, w, "viewer").predict(api_name="/status")
    _client(base, w, "stranger").predict("strangers-own", api_name="/create_space")
    assert service.access.users.get("stranger").roles == {"strangers-own": "owner"}
    for who in ("visitor", "key"):
        with pytest.raises(Exception, match="does not allow"):
            _client(base, w, who).predict(f"{who}-space", api_name="/create_space")


def test_private_handlers_refuse_a_crafted_call(access_world):
    base, service, w, app = access_world
    demo = app.state.demo
    viewer = Session(base, **w.credentials["viewer"])
    loaded = viewer.call(fn_index(demo, "build_ui.<locals>.on_load"), [None])
    assert loaded["success"], loaded
    refused = viewer.call(fn_index(demo, "build_documents.<locals>.on_delete"), ["A", ["p1.txt"]])
    assert not refused["success"] and "does not allow" in str(refused["output"]), refused
    assert "p1.txt" in [d.name for d in service.documents("A")]
    refused = viewer.call(fn_index(demo, "build_spaces.<locals>.on_delete"), ["A"])
    assert not refused["success"] and service.store.get_space("A") is not None
    shared = viewer.call(fn_index(demo, "acting.<locals>.run"), ["A", 1, ""])   # the first: create a share link
    assert "⚠️" in str(shared["output"]["data"][0]) and not service.access.list_shares(
        service.access.principal_of_user("owner"), "A")[1:], shared
    assert "p1.txt" in str(viewer.call(fn_index(demo, "build_documents.<locals>.listing"), ["A"])["output"])
    visitor = Session(base, **w.credentials["visitor"])
    assert visitor.call(fn_index(demo, "build_ui.<locals>.on_load"), [None])["success"]
    listing = visitor.call(fn_index(demo, "build_documents.<locals>.listing"), ["A"])
    assert listing["success"] and "p1.txt" not in str(listing["output"]["data"]), listing
