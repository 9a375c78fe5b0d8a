"""One error family for every bad input, so the API and the CLI can report it the same way."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class DataGenFlowError(Exception):
    """Base of every error a user can cause; `status` is the HTTP status the API answers."""

    status: int = 400

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail: dict[str, Any] = detail or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "detail": self.detail}


class NotFoundError(DataGenFlowError):
    status = 404


class ConflictError(DataGenFlowError):
    status = 409


class InvalidInputError(DataGenFlowError):
    status = 422


class TooLargeError(DataGenFlowError):
    status = 413


class UnauthorizedError(DataGenFlowError):
    status = 401


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """A suffix like "; did you mean 'LLMBlock'?" or an empty string when nothing is close."""
    matches = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in choices}
        if value.lower() in lowered:
            matches = [lowered[value.lower()]]
    return f"; did you mean '{matches[0]}'?" if matches else ""


def utf8_text(data: bytes, where: str, error: type[InvalidInputError] = InvalidInputError) -> str:
    """Text from bytes a user sent (a BOM is dropped), or an error naming where the first bad
    byte is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"{where}: not UTF-8 text (bad byte at offset {exc.start})", {"offset": exc.start}
        ) from None
