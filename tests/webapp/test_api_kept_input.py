"""What the API keeps must read back, and what it refuses gets a declared 4xx: the cases schemathesis found
(tests/webapp/test_schemathesis.py), each as a plain request, and one found beside them. A rating or a shared
conversation with a number past 64 bits broke every later read of the space's ratings (or of the link) with a 500;
a space made under a renamed space's old name shared its collection, and deleting one emptied the other; a body that
is not UTF-8 was an undeclared 400 (on /v1 not in OpenAI's shape). Beside them (schemathesis sends valid UTF-8 only):
an unpaired surrogate anywhere in a kept request was a 500 when stored."""
import httpx
import pytest

from tests.support.services import app_over_stub

HUGE = 10 ** 35


@pytest.fixture(scope="module")
def api(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("kept"), fault_llm) as (base, _), \
            httpx.Client(base_url=base, timeout=120) as client:
        yield client


def _raw(client: httpx.Client, path: str, body: str) -> httpx.Response:
    return client.post(path, content=body.encode("utf-8", "surrogatepass"),
                       headers={"content-type": "application/json"})


def test_numbers_past_64_bits_are_refused_and_the_ratings_still_read(api):
    rating = {"rating": 1, "question": "q?", "answer": "a [1]", "sources": [{"n": HUGE, "file": "p1.txt"}]}
    assert api.post("/spaces/demo/feedback", json=rating).status_code == 422
    rating["sources"] = [{"n": 1, "file": "p1.txt", "page": HUGE}]
    assert api.post("/spaces/demo/feedback", json=rating).status_code == 422
    turn = {"question": "q?", "answer": "a", "sources": [{"n": HUGE, "file": "p1.txt", "score": 1.0, "text": "t"}]}
    assert api.post("/shares/conversation", json={"space": "demo", "turns": [turn]}).status_code == 422
    rating["sources"] = [{"n": 1, "file": "p1.txt", "page": 2}]
    assert api.post("/spaces/demo/feedback", json=rating).status_code == 201
    listed = api.get("/spaces/demo/feedback")
    assert listed.status_code == 200 and [f["sources"][0]["page"] for f in listed.json()] == [2]


@pytest.mark.parametrize("path,body", [
    ("/shares/conversation", '{"space": "demo", "turns": [{"question": "\\ud800", "answer": "a"}]}'),
    ("/shares/conversation", '{"space": "demo", "turns": [{"question": "q", "answer": "a", "sources": '
                             '[{"n": 1, "file": "\\udfff.txt", "score": 1, "text": "t"}]}]}'),
    ("/spaces/demo/feedback", '{"rating": 1, "question": "q", "sources": [{"n": 1, "file": "\\ud83d"}]}'),
    ("/spaces/demo/shares", '{"label": "\\ud800"}'),
    ("/keys", '{"label": "x", "spaces": ["\\udc00"]}'),
])
def test_an_unpaired_surrogate_anywhere_in_a_kept_request_is_422(api, path, body):
    answer = _raw(api, path, body)
    assert answer.status_code == 422, answer.text
    assert "surrogate" in answer.json()["detail"][0]["msg"]


def test_a_space_made_under_a_renamed_spaces_name_is_its_own(api):
    assert api.post("/spaces", json={"name": "legal"}).status_code == 201
    api.post("/ingest", data={"space_id": "legal"}, files=[("files", ("p1.txt", b"The audit found 3 issues."))])
    assert api.patch("/spaces/legal", json={"name": "legal-2024"}).status_code == 200
    assert api.post("/spaces", json={"name": "legal"}).status_code == 201
    assert api.delete("/spaces/legal").status_code == 200
    kept = api.get("/spaces/legal-2024/documents")
    assert kept.status_code == 200 and [d["name"] for d in kept.json()] == ["p1.txt"]
    asked = api.post("/ask", json={"q": "How many issues did the audit find?", "space_id": "legal-2024"})
    assert asked.status_code == 200 and asked.json()["sources"]


def test_a_body_that_is_not_utf8_is_a_declared_400_in_each_shape(api):
    rest = api.post("/spaces", content=b'{"name": "\xc6"}', headers={"content-type": "application/json"})
    assert rest.status_code == 400 and rest.json()["code"] == "bad_request"
    openai = api.post("/v1/chat/completions", content=b"\xa0\x07P", headers={"content-type": "application/json"})
    assert openai.status_code == 400 and openai.json()["error"]["type"] == "invalid_request_error"
    declared = api.get("/openapi.json").json()["paths"]
    assert "400" in declared["/spaces"]["post"]["responses"] and "400" in declared["/keys"]["post"]["responses"]
