"""Each engine test has its own loop: close the pooled LLM client made on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from datagenflow.llm import close_shared_client


@pytest.fixture(autouse=True)
async def _close_llm_client() -> AsyncIterator[None]:
    yield
    await close_shared_client()
