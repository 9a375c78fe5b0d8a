"""Reading a named field of the state with an error that lists what was there."""

from __future__ import annotations

import json
from typing import Any

from datagenflow.errors import did_you_mean


class MissingFieldError(KeyError):
    """A KeyError whose message reads as a sentence (KeyError's own str() adds quotes)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "missing field"


def read_field(data: dict[str, Any], name: str) -> Any:
    if name not in data:
        hint = did_you_mean(name, data)
        available = ", ".join(sorted(data)) or "none"
        raise MissingFieldError(
            f"field '{name}' is not in the state{hint} (available: {available})"
        )
    return data[name]


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
