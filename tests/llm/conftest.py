from collections.abc import AsyncIterator

import pytest

from datagenflow.llm import LLMClient
from datagenflow.llm.mock_server import MockServer, start_mock_server


@pytest.fixture
async def mock_server() -> AsyncIterator[MockServer]:
    server = await start_mock_server()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client() -> AsyncIterator[LLMClient]:
    llm = LLMClient(max_concurrency=16, timeout_s=5, max_retries=3, backoff_base_s=0.01)
    try:
        yield llm
    finally:
        await llm.aclose()
