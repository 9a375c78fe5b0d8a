"""Deterministic JSON values that fit a JSON Schema, for the mock server's structured replies.

Covers what structured-generation prompts use in practice (objects, arrays, enums, bounds,
common string formats, local `$ref`s, `anyOf`/`oneOf`/`allOf`); values are seeded by the prompt so
different prompts give different, stable objects.
"""

from __future__ import annotations

import math
import random
from typing import Any

_MAX_DEPTH = 12
_FORMATS = {
    "email": "user{n}@example.com",
    "date": "2024-01-{d:02d}",
    "date-time": "2024-01-{d:02d}T12:00:00Z",
    "time": "12:{d:02d}:00",
    "uri": "https://example.com/item/{n}",
    "url": "https://example.com/item/{n}",
    "uuid": "00000000-0000-4000-8000-{n:012d}",
    "hostname": "host{n}.example.com",
    "ipv4": "192.0.2.{d}",
}


def sample_json(schema: Any, *, seed: int, words: list[str]) -> Any:
    """A value valid against `schema`; `words` (from the prompt) fill free-text strings."""
    sampler = _Sampler(schema, random.Random(seed), words or ["mock"])
    return sampler.value(schema, "value", 0)


class _Sampler:
    def __init__(self, root: Any, rng: random.Random, words: list[str]) -> None:
        self.root = root
        self.rng = rng
        self.words = words

    def value(self, schema: Any, name: str, depth: int) -> Any:
        if not isinstance(schema, dict):
            return self.text(name, {}) if schema is not False else None
        schema = self.resolve(schema, depth)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return self.rng.choice(enum)
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                chosen = next((o for o in options if _type_of(o) != "null"), options[0])
                return self.value(chosen, name, depth + 1)
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                if isinstance(part, dict):
                    part = self.resolve(part, depth)
                    props = {**merged.get("properties", {}), **part.get("properties", {})}
                    required = [*merged.get("required", []), *part.get("required", [])]
                    merged = {**merged, **part, "properties": props, "required": required}
            return self.value(merged, name, depth + 1)
        kind = _type_of(schema)
        if kind == "object":
            return self.obj(schema, depth)
        if kind == "array":
            return self.array(schema, name, depth)
        if kind == "integer":
            return self.integer(schema)
        if kind == "number":
            return self.number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.text(name, schema)

    def resolve(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
            target = self.pointer(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, dict) else rest
            seen += 1
        return schema

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        node: Any = self.root
        for part in ref[1:].split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    def obj(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = schema.get("properties")
        if not isinstance(props, dict):
            props = {}
        if depth >= _MAX_DEPTH:
            required = schema.get("required") or []
            props = {k: v for k, v in props.items() if k in required}
        out = {key: self.value(sub, key, depth + 1) for key, sub in props.items()}
        min_props = schema.get("minProperties")
        extra = schema.get("additionalProperties")
        if isinstance(min_props, int) and extra is not False:
            extra_schema = extra if isinstance(extra, dict) else {"type": "string"}
            index = 0
            while len(out) < min_props:
                out.setdefault(f"key_{index}", self.value(extra_schema, "value", depth + 1))
                index += 1
        return out

    def array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = _int(schema.get("minItems"), 0)
        high = _int(schema.get("maxItems"), max(low, 3))
        count = min(high, max(low, 2)) if depth < _MAX_DEPTH else low
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        out: list[Any] = []
        for index in range(count):
            if isinstance(prefix, list) and index < len(prefix):
                sub = prefix[index]
            elif isinstance(items, list):
                sub = items[index] if index < len(items) else {}
            else:
                sub = items if isinstance(items, dict) else {"type": "string"}
            item = self.value(sub, f"{name}_{index + 1}", depth + 1)
            tries = 0
            while schema.get("uniqueItems") and item in out and tries < 20:
                item = self.value(sub, f"{name}_{index + 1}", depth + 1)
                tries += 1
            if item in out and schema.get("uniqueItems") and index >= low:
                break
            out.append(item)
        return out

    def integer(self, schema: dict[str, Any]) -> int:
        low, high = _bounds(schema, integer=True)
        value = self.rng.randint(int(low), int(high))
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = (value // step) * step
            if value < low:
                value += step
        return value

    def number(self, schema: dict[str, Any]) -> float:
        low, high = _bounds(schema, integer=False)
        return round(self.rng.uniform(low, high), 2) if high - low >= 0.01 else low

    def text(self, name: str, schema: dict[str, Any]) -> str:
        n = self.rng.randint(1, 10**6)
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS:
            return _FORMATS[fmt].format(n=n, d=n % 28 + 1)
        start = self.rng.randrange(len(self.words))
        picked = [self.words[(start + i) % len(self.words)] for i in range(6)]
        value = f"{name.replace('_', ' ')}: {' '.join(picked)}"
        min_len = _int(schema.get("minLength"), 0)
        while len(value) < min_len:
            value += " " + self.words[len(value) % len(self.words)]
        max_len = schema.get("maxLength")
        if isinstance(max_len, int) and len(value) > max_len:
            value = value[:max_len]
        return value


def _type_of(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "string"
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _bounds(schema: dict[str, Any], *, integer: bool) -> tuple[float, float]:
    nudge = 1.0 if integer else 0.01
    low = _num(schema.get("minimum"))
    high = _num(schema.get("maximum"))
    ex_low = _num(schema.get("exclusiveMinimum"))
    ex_high = _num(schema.get("exclusiveMaximum"))
    if ex_low is not None:
        low = ex_low + nudge if low is None else max(low, ex_low + nudge)
    if ex_high is not None:
        high = ex_high - nudge if high is None else min(high, ex_high - nudge)
    if low is None:
        low = 0.0 if high is None or high >= 0 else high - 100
    if high is None:
        high = max(100.0, low + 100)
    if integer:
        low, high = float(math.ceil(low)), float(math.floor(high))
    return low, max(low, high)


def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
