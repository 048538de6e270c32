"""Engine errors map to HTTP statuses by type, in one table, whatever their message says."""
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import rag
from webapp.errors import STATUS_BY_ERROR, install_error_handlers, status_of, status_of_code


def test_every_public_error_has_a_status():
    public = [getattr(rag, name) for name in rag.__all__]
    errors = [e for e in public if isinstance(e, type) and issubclass(e, rag.RagError)]
    assert len(errors) >= 12
    for error in errors:
        assert status_of(error) in (403, 404, 409, 422, 429, 500, 502, 503), error


@pytest.mark.parametrize("error,status", [
    (rag.SpaceNotFound("x"), 404), (rag.DocumentNotFound("no space named 'x'"), 404),
    (rag.SpaceExists("x"), 409), (rag.EmbedderMismatch("no space named 'x'"), 409),
    (rag.InvalidSpaceName("already exists"), 422), (rag.UnreadableFile("no space"), 422),
    (rag.LLMUnavailable("x"), 503), (rag.LLMIncomplete("no space named 'x'"), 502), (rag.LLMError("x"), 502),
    (rag.StoreError("x"), 503), (rag.InternalError("x"), 500)])
def test_a_route_raising_an_engine_error_gets_its_status_and_code(error, status):
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom():
        raise error

    reply = TestClient(app).get("/boom")
    assert reply.status_code == status
    assert reply.json() == {"detail": str(error), "code": error.code}


def test_a_failed_answer_maps_by_its_code():
    assert status_of_code("") == 200
    assert status_of_code("llm_unavailable") == 503 and status_of_code("llm_incomplete") == 502
    assert status_of_code("space_not_found") == 404 and status_of_code("internal") == 500
    assert status_of_code("something new") == 500
    assert set(STATUS_BY_ERROR) >= set(rag.ERRORS_BY_CODE.values())


def test_errors_the_framework_raises_keep_their_status_in_each_shape():
    """schemathesis found a body that is not UTF-8 answered 400 {"detail"} on every JSON route: a status the
    REST routes did not declare, and on /v1 not OpenAI's error shape."""
    from fastapi import HTTPException
    from pydantic import BaseModel

    class Body(BaseModel):
        name: str

    app = FastAPI()
    install_error_handlers(app)

    @app.post("/spaces")
    @app.post("/v1/chat/completions")
    def take(body: Body):
        raise HTTPException(413, "too long (MAX_QUESTION_CHARS)")

    client = TestClient(app)
    rest = client.post("/spaces", content=b"\xc6", headers={"content-type": "application/json"})
    assert rest.status_code == 400 and rest.json()["code"] == "bad_request" and rest.json()["detail"]
    openai = client.post("/v1/chat/completions", content=b"\xc6", headers={"content-type": "application/json"})
    assert openai.status_code == 400 and openai.json()["error"]["type"] == "invalid_request_error"
    too_long = client.post("/spaces", json={"name": "x"})
    assert too_long.status_code == 413
    assert too_long.json() == {"detail": "too long (MAX_QUESTION_CHARS)", "code": "request_too_large"}
    wrong = client.get("/spaces")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
