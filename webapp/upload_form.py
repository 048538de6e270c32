"""The REST upload's multipart body (`space_id` and `files`), read as it streams in: each file goes straight into the
upload folder, and no more than MAX_FILE_MB of it, however much the client sends (the rest is read and dropped; the
file is refused by its size). FastAPI's own form parsing spooled every file whole to a temporary file, which the
route then copied: a 3x-over file sat on disk twice before it was refused.

The space is checked (`check_space`) as soon as its field has come, so a caller who may not add to it gets no byte
written; over MAX_UPLOAD_FILES the request stops writing at once. A refusal reads the rest of the body before it
answers, so the client, still sending, gets the answer rather than a reset connection."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool

MAX_FIELD_BYTES = 64 * 1024     # a text field (the space's name): more is no name

# the request body the route declares in the OpenAPI document (it reads the body itself)
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["space_id", "files"], "properties": {
        "space_id": {"type": "string", "title": "Space Id", "description": "the space to add to (made if missing)"},
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}, "title": "Files"}}}}}}}


@dataclass
class UploadedFile:
    name: str           # as the client named it
    path: Path          # its bytes, when it is within the limit
    size: int = 0       # bytes received, also those past the limit
    within: bool = True


class UploadForm:
    def __init__(self, folder: Path, max_file_bytes: int, max_files: int,
                 check_space: Callable[[str], None]) -> None:
        self.folder, self.max_file_bytes, self.max_files = folder, max_file_bytes, max_files
        self.check_space = check_space
        self.space_id: str | None = None
        self.files: list[UploadedFile] = []
        self._refusal: Exception | None = None
        self._headers: dict[bytes, bytes] = {}
        self._header = [b"", b""]
        self._field: tuple[str, bytearray] | None = None
        self._file: UploadedFile | None = None
        self._out: IO[bytes] | None = None
        self._pending: list[tuple[IO[bytes], bytes]] = []
        self._closing: list[IO[bytes]] = []
        self._dropping: list[Path] = []

    async def receive(self, request: Request) -> None:
        """Read the whole body; raise the refusal (413, 403/404 for the space, 422, 400) once it is read."""
        kind, params = parse_options_header(request.headers.get("content-type", ""))
        parser: MultipartParser | None = None
        try:
            if kind == b"multipart/form-data" and params.get(b"boundary"):
                parser = MultipartParser(params[b"boundary"], self._callbacks())
            async for chunk in request.stream():
                if parser is not None and self._refusal is None:
                    try:
                        parser.write(chunk)
                    except (FormParserError, ValueError):
                        self._refuse(HTTPException(400, "the upload is not valid multipart/form-data"))
                    await run_in_threadpool(self._flush)     # disk writes off the event loop
            if parser is not None and self._refusal is None:
                parser.finalize()
        finally:
            if self._out is not None:       # a body that ended inside a file
                self._closing.append(self._out)
                self._out = None
            self._flush()
        if self._refusal is not None:
            raise self._refusal
        missing = [name for name, absent in (("space_id", self.space_id is None), ("files", not self.files))
                   if absent]
        if missing:
            raise RequestValidationError([{"type": "missing", "loc": ("body", name), "msg": "Field required"}
                                          for name in missing])

    def _callbacks(self) -> Any:
        return {"on_part_begin": self._part_begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
                "on_part_end": self._part_end}

    def _part_begin(self) -> None:
        self._headers, self._header, self._field, self._file, self._out = {}, [b"", b""], None, None, None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header[0] += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._header[1] += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header[0].lower()] = self._header[1]
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        if self._refusal is not None:       # the rest of this piece: nothing more is opened
            return
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == "files":
            if len(self.files) >= self.max_files:
                self._refuse(HTTPException(413, f"more than {self.max_files} files in one request; the limit is "
                                                f"{self.max_files} (MAX_UPLOAD_FILES)"))
                return
            filename = options.get(b"filename", b"").decode("utf-8", "replace") or f"file-{len(self.files)}"
            self._file = UploadedFile(filename, self.folder / f"{len(self.files):05d}")
            self.files.append(self._file)
            self._out = self._file.path.open("wb")
        elif b"filename" not in options:
            self._field = (name, bytearray())

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._refusal is not None:
            return
        if self._field is not None:
            self._field[1].extend(data[start:end])
            if len(self._field[1]) > MAX_FIELD_BYTES:
                self._refuse(HTTPException(413, f"a form field is over {MAX_FIELD_BYTES // 1024} KB"))
        elif self._file is not None and self._out is not None:
            self._file.size += end - start
            if self._file.size <= self.max_file_bytes:
                self._pending.append((self._out, data[start:end]))
            else:               # refused by its size: what was written goes, the rest is not kept
                self._file.within = False
                self._closing.append(self._out)
                self._dropping.append(self._file.path)
                self._out = None
        elif self._file is not None:
            self._file.size += end - start

    def _part_end(self) -> None:
        if self._field is not None and self._field[0] == "space_id" and self._refusal is None:
            try:
                self.space_id = self._field[1].decode("utf-8")
            except UnicodeDecodeError:
                self._refuse(RequestValidationError([{"type": "string_unicode", "loc": ("body", "space_id"),
                                                      "msg": "Input should be a valid UTF-8 string"}]))
                return
            try:
                self.check_space(self.space_id)
            except Exception as err:        # the caller may not add there: nothing more is written
                self._refuse(err)
        elif self._out is not None:
            self._closing.append(self._out)
        self._field, self._out = None, None

    def _refuse(self, err: Exception) -> None:
        self._refusal = err
        if self._out is not None:
            self._closing.append(self._out)
            self._out = None

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        for out, data in pending:
            out.write(data)
        closing, self._closing = self._closing, []
        for out in closing:
            out.close()
        dropping, self._dropping = self._dropping, []
        for path in dropping:
            path.unlink(missing_ok=True)
