"""Base URL normalisation: users paste `.../v1`, `.../v1/` or a full `.../chat/completions`."""

from __future__ import annotations

from urllib.parse import urlsplit

from datagenflow.llm.errors import LLMError

_CHAT_SUFFIX = "/chat/completions"


def normalize_base_url(url: str) -> str:
    """The API root all routes hang off, so every spelling of one endpoint shares one limiter."""
    base = url.strip().rstrip("/")
    if base.endswith(_CHAT_SUFFIX):
        base = base[: -len(_CHAT_SUFFIX)].rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LLMError(
            f"invalid LLM base URL {url!r}: expected http(s)://host[:port]/path", url=url
        )
    return base


def chat_url(base_url: str) -> str:
    return normalize_base_url(base_url) + _CHAT_SUFFIX


def models_url(base_url: str) -> str:
    return normalize_base_url(base_url) + "/models"
