"""What the mock LLM says: stable, prompt-dependent completions in the OpenAI wire format.

Replies echo words of the last user message (so tests can see the prompt got through) behind a
hash of the whole conversation (so different prompts give different answers, the same prompt the
same answer), and honour `response_format` so structured-generation pipelines run end to end.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

from datagenflow.llm.schema_sample import sample_json

_WORD = re.compile(r"[\w'-]+", re.UNICODE)
_ECHO_WORDS = 24
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class RequestError(ValueError):
    """A request the real APIs would refuse with 400; the message mirrors theirs."""


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def wanted_schema(payload: dict[str, Any]) -> tuple[str, Any]:
    """("json_schema", schema), ("json_object", None) or ("text", None) for a request."""
    guided = payload.get("guided_json")
    if isinstance(guided, dict):
        return "json_schema", guided
    fmt = payload.get("response_format")
    if not isinstance(fmt, dict):
        return "text", None
    kind = fmt.get("type")
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else fmt.get("schema")
        if not isinstance(schema, dict):
            raise RequestError("response_format json_schema needs json_schema.schema")
        return "json_schema", schema
    if kind == "json_object":
        return "json_object", None
    if kind in (None, "text"):
        return "text", None
    raise RequestError(f"unsupported response_format type {kind!r}")


def validate(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        raise RequestError("request body must be a JSON object")
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("'messages' must be a non-empty array")
    if not all(isinstance(m, dict) and "role" in m for m in messages):
        raise RequestError("each message needs a 'role'")
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        raise RequestError("'model' is required")
    return messages


def completion(payload: dict[str, Any], content_override: str | None = None) -> dict[str, Any]:
    messages = validate(payload)
    mode, schema = wanted_schema(payload)
    texts = [text_of(m.get("content")) for m in messages]
    digest = hashlib.blake2b(
        "\x1f".join(f"{m.get('role')}\x1e{t}" for m, t in zip(messages, texts, strict=True)).encode(
            "utf-8", "surrogatepass"
        ),
        digest_size=8,
    )
    prompt = next(
        (
            t
            for m, t in zip(reversed(messages), reversed(texts), strict=True)
            if m.get("role") == "user"
        ),
        texts[-1],
    )
    words = _WORD.findall(prompt)
    finish = "stop"
    if content_override is not None:
        content = content_override
    elif mode == "json_schema":
        seed = int.from_bytes(digest.digest(), "big")
        content = _dumps(sample_json(schema, seed=seed, words=words))
    else:
        sentence = f"Mock reply {digest.hexdigest()[:8]}: {_echo(words)}"
        content = _dumps({"answer": sentence}) if mode == "json_object" else sentence
        max_tokens = payload.get("max_tokens")
        if mode == "text" and isinstance(max_tokens, int) and 0 < max_tokens * 4 < len(content):
            content, finish = content[: max_tokens * 4], "length"
    prompt_tokens = sum(len(t) // 4 + 4 for t in texts) + 3
    completion_tokens = max(1, (len(content) + 3) // 4)
    return {
        "id": f"chatcmpl-mock-{digest.hexdigest()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": payload["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _echo(words: list[str]) -> str:
    if not words:
        return "(empty prompt)"
    if len(words) <= 2 * _ECHO_WORDS:
        return " ".join(words)
    return " ".join(words[:_ECHO_WORDS]) + " … " + " ".join(words[-_ECHO_WORDS:])


def error_body(message: str, kind: str, code: int | str | None = None) -> bytes:
    return _dumps({"error": {"message": message, "type": kind, "code": code}}).encode()


def encode(data: Any) -> bytes:
    return _dumps(data).encode()
