"""One client per running event loop, so every block of a process shares one connection pool.

Keyed by loop because an aiohttp session belongs to the loop it was created on: test runners
and `asyncio.run` calls each get a fresh loop, and must not inherit a session bound to a dead one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from datagenflow.llm.client import LLMClient

_clients: dict[int, tuple[asyncio.AbstractEventLoop, LLMClient]] = {}


def get_shared_client(**kwargs: Any) -> LLMClient:
    """The loop's client; `kwargs` (LLMClient's) apply only when it is first created."""
    loop = asyncio.get_running_loop()
    entry = _clients.get(id(loop))
    if entry is not None and entry[0] is loop:
        return entry[1]
    for key, (old_loop, _) in list(_clients.items()):
        if old_loop.is_closed():
            del _clients[key]
    client = LLMClient(**kwargs)
    _clients[id(loop)] = (loop, client)
    return client


async def close_shared_client() -> None:
    """Close the running loop's shared client (call before the loop ends, e.g. on shutdown)."""
    loop = asyncio.get_running_loop()
    entry = _clients.pop(id(loop), None)
    if entry is not None and entry[0] is loop:
        await entry[1].aclose()
