"""OpenAI-compatible LLM client (pooled, retrying, adaptively rate limited) and a mock server.

A plain library: it imports nothing else from datagenflow, so it can be used and tested alone.
"""

from datagenflow.llm.client import LLMClient
from datagenflow.llm.endpoints import normalize_base_url
from datagenflow.llm.errors import (
    LLMConnectionError,
    LLMError,
    LLMHTTPError,
    LLMResponseError,
    LLMTimeoutError,
)
from datagenflow.llm.ratelimit import AdaptiveLimiter
from datagenflow.llm.shared import close_shared_client, get_shared_client
from datagenflow.llm.types import ChatResult, Usage

__all__ = [
    "AdaptiveLimiter",
    "ChatResult",
    "LLMClient",
    "LLMConnectionError",
    "LLMError",
    "LLMHTTPError",
    "LLMResponseError",
    "LLMTimeoutError",
    "Usage",
    "close_shared_client",
    "get_shared_client",
    "normalize_base_url",
]
