"""Multipart uploads read as a stream, refused with 413 the moment they pass the limit.

Starlette's form parser would spool the whole file to disk before a route sees it; this reads
chunk by chunk and keeps only the one file field the routes need, plus small text fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from datagenflow.errors import InvalidInputError, TooLargeError, utf8_text

_FIELD_LIMIT = 4096
_OVERHEAD = 64 * 1024


@dataclass
class Upload:
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    fields: dict[str, str] = field(default_factory=dict)

    def require_file(self) -> tuple[str, bytes]:
        if self.filename is None:
            raise InvalidInputError(
                "no seed file: send it as the multipart form field 'file'", {"field": "file"}
            )
        return self.filename or "seeds.json", bytes(self.data)


def size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    if limit >= 1024:
        return f"{limit / 1024:g} KB"
    return f"{limit} bytes"


class _Collector:
    def __init__(self, upload: Upload, limit: int) -> None:
        self.upload = upload
        self.limit = limit
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._is_file = False
        self._text = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._header_name = self._header_value = b""
        self._text = bytearray()
        self._name, self._is_file = "", False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if self._name == "file":
            if self.upload.filename is not None:
                raise InvalidInputError("send one seed file per request", {"field": "file"})
            self._is_file = True
            raw = (filename or b"seeds.json").decode("utf-8", "replace")
            self.upload.filename = raw.replace("\\", "/").rsplit("/", 1)[-1][:200] or "seeds.json"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.upload.data += data[start:end]
            if len(self.upload.data) > self.limit:
                raise TooLargeError(
                    f"the seed file is larger than the upload limit of {size_text(self.limit)} "
                    "(setting MAX_UPLOAD_BYTES)",
                    {"limit": self.limit},
                )
        else:
            self._text += data[start:end]
            if len(self._text) > _FIELD_LIMIT:
                raise InvalidInputError(
                    f"form field '{self._name}' is too long", {"field": self._name}
                )

    def _part_end(self) -> None:
        if not self._is_file and self._name:
            self.upload.fields[self._name] = self._text.decode("utf-8", "replace")


async def read_upload(request: Request, limit: int) -> Upload:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInputError(
            "send the seed file as multipart/form-data with a 'file' field",
            {"content_type": request.headers.get("content-type", "")},
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _OVERHEAD:
        raise TooLargeError(
            f"the upload ({size_text(int(declared))}) is larger than the limit of "
            f"{size_text(limit)} (setting MAX_UPLOAD_BYTES)",
            {"limit": limit},
        )
    upload = Upload()
    collector = _Collector(upload, limit)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit + _OVERHEAD:
                raise TooLargeError(
                    f"the upload is larger than the limit of {size_text(limit)} "
                    "(setting MAX_UPLOAD_BYTES)",
                    {"limit": limit},
                )
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidInputError(f"the multipart body is malformed: {exc}") from None
    return upload


def int_field(upload: Upload, name: str) -> int:
    raw = upload.fields.get(name)
    if raw is None or not raw.strip():
        raise InvalidInputError(f"form field '{name}' is required", {"field": name})
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidInputError(
            f"form field '{name}' must be an integer, not {raw[:40]!r}", {"field": name}
        ) from None
    if not 1 <= value <= 2**63 - 1:
        raise InvalidInputError(f"form field '{name}' must be a positive id", {"field": name})
    return value


async def read_text_body(request: Request, limit: int, what: str) -> str:
    """A request body read as UTF-8 text, refused (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError(
            f"{what} ({size_text(int(declared))}) is larger than the limit of {size_text(limit)}",
            {"limit": limit},
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLargeError(
                f"{what} is larger than the limit of {size_text(limit)}", {"limit": limit}
            )
    return utf8_text(bytes(body), what)
