"""Getting JSON out of model replies, which often wrap it in prose or Markdown fences."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def extract_json(value: Any) -> Any:
    """Parse JSON from a value; raises ValueError saying why it could not."""
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected JSON text, got {type(value).__name__}")
    text = value.strip()
    candidates = [text]
    candidates.extend(m.group(1).strip() for m in _FENCE.finditer(text))
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = text.find(opener), text.rfind(closer)
        if 0 <= start < end:
            candidates.append(text[start : end + 1])
    first_error = ""
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            first_error = first_error or f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    snippet = text[:80] + ("..." if len(text) > 80 else "")
    raise ValueError(f"no valid JSON found ({first_error}) in {snippet!r}")
