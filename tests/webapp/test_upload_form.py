"""The upload's multipart body read as it streams in (webapp/upload_form.py): a body encoded by httpx, fed to a
Starlette Request in 64 KB pieces as a server would, with the upload folder measured after each piece."""
from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request

from rag import Forbidden
from webapp.upload_form import UploadForm

LIMIT = 1 << 20
PIECE = 1 << 16


def _body(files: list[tuple[str, bytes]], space: str | None = "demo") -> tuple[bytes, str]:
    encoded = httpx.Request("POST", "http://x/ingest", data={"space_id": space} if space is not None else {},
                            files=[("files", f) for f in files])
    return encoded.read(), encoded.headers["content-type"]


def _receive(folder: Path, body: bytes, content_type: str, max_files: int = 10, check=lambda space: None):
    """(the form, the most bytes the folder held after any piece)."""
    form = UploadForm(folder, LIMIT, max_files, check)
    pieces = [body[i:i + PIECE] for i in range(0, len(body), PIECE)] or [b""]
    held = [0]

    async def receive():
        held[0] = max(held[0], sum(f.stat().st_size for f in folder.iterdir()))
        piece = pieces.pop(0) if pieces else b""
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    scope = {"type": "http", "method": "POST", "path": "/ingest", "headers": [(b"content-type", content_type.encode())]}
    asyncio.run(form.receive(Request(scope, receive)))
    return form, held[0]


def test_files_within_the_limit_are_kept_and_one_over_it_never_lands_whole(tmp_path):
    body, kind = _body([("a.txt", b"x" * 1000), ("big.txt", b"y" * (3 * LIMIT)), ("b.txt", b"z" * LIMIT)])
    form, held = _receive(tmp_path, body, kind)
    assert form.space_id == "demo"
    assert [(f.name, f.size, f.within) for f in form.files] == [
        ("a.txt", 1000, True), ("big.txt", 3 * LIMIT, False), ("b.txt", LIMIT, True)]
    assert [f.path.read_bytes()[:1] for f in form.files if f.within] == [b"x", b"z"]
    assert not form.files[1].path.exists()
    assert held <= 1000 + LIMIT + PIECE          # the big one: never more than its limit on disk


def test_a_space_the_caller_may_not_add_to_gets_no_byte_written(tmp_path):
    def refuse(space: str) -> None:
        raise Forbidden(f"you may not add documents to {space}")

    body, kind = _body([("a.txt", b"x" * (2 * PIECE))])
    with pytest.raises(Forbidden):
        _receive(tmp_path, body, kind, check=refuse)
    assert [f.stat().st_size for f in tmp_path.iterdir()] == []


def test_too_many_files_is_a_413_naming_the_limit(tmp_path):
    body, kind = _body([(f"{i}.txt", b"x") for i in range(4)])
    with pytest.raises(HTTPException) as err:
        _receive(tmp_path, body, kind, max_files=3)
    assert err.value.status_code == 413 and "MAX_UPLOAD_FILES" in err.value.detail


@pytest.mark.parametrize("body,kind,error", [
    (b'{"space_id": "demo"}', "application/json", RequestValidationError),
    (b"--b\r\nContent-Disposition: form-data; name=\"space_id\"\r\n\r\ndemo\r\n--b--\r\n",
     "multipart/form-data; boundary=b", RequestValidationError),       # no files
    (b"--b\r\nnot a header line at all\r\n\r\n", "multipart/form-data; boundary=b", HTTPException),
])
def test_a_body_that_is_not_an_upload_is_refused(tmp_path, body, kind, error):
    with pytest.raises(error):
        _receive(tmp_path, body, kind)
