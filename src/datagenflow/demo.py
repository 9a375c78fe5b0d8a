"""First run with no LLM: fall back to the bundled fake LLM, and say so loudly.

Demo mode starts only when the user configured no endpoint (neither in the environment nor in
`.env`) and nothing answers at the default one; configuring a real endpoint ends it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from datagenflow.llm import LLMClient
from datagenflow.llm.mock_server import MockServerThread
from datagenflow.settings import DEFAULT_LLM_BASE_URL, reload_settings

log = logging.getLogger("datagenflow")
_ENDPOINT_KEYS = ("LLM_BASE_URL", "LLM_ENDPOINT")
DEMO_BANNER = (
    "DEMO MODE: no LLM endpoint is configured and none answers at {default}; answers come "
    "from the built-in fake LLM at {url}. Set LLM_BASE_URL in .env to use a real model."
)


def endpoint_configured(env_file: Path = Path(".env")) -> bool:
    if any(os.environ.get(key) for key in _ENDPOINT_KEYS):
        return True
    if env_file.is_file():
        for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() in _ENDPOINT_KEYS and value.strip().strip("'\""):
                return True
    return False


async def _answers(base_url: str) -> bool:
    async with LLMClient(max_retries=0) as client:
        return await client.ping(base_url, timeout_s=1.5)


def start_demo_if_needed() -> MockServerThread | None:
    """Start the fake LLM and point the settings at it when demo mode applies."""
    if endpoint_configured() or asyncio.run(_answers(DEFAULT_LLM_BASE_URL)):
        return None
    server = MockServerThread(latency_ms=150).start()
    os.environ["LLM_BASE_URL"] = server.base_url
    os.environ["DEMO_MODE"] = "true"
    reload_settings()
    log.warning(DEMO_BANNER.format(default=DEFAULT_LLM_BASE_URL, url=server.base_url))
    return server
