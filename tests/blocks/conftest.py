"""Engine fixtures: the registry of installed blocks, and a clean shared LLM client per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from datagenflow.engine.registry import BlockRegistry, discover
from datagenflow.llm import close_shared_client


@pytest.fixture(scope="session")
def registry() -> BlockRegistry:
    found = discover(None)
    assert not found.errors, found.errors
    return found


@pytest.fixture(autouse=True)
async def _close_llm_client() -> AsyncIterator[None]:
    """Each test has its own loop; close the pooled client made on it so no session leaks."""
    yield
    await close_shared_client()
