from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from datagenflow import __version__
from datagenflow.api.context import AppContext, get_context
from datagenflow.api.responses import SafeJSONResponse
from datagenflow.api.schemas import Health
from datagenflow.llm import get_shared_client

router = APIRouter(tags=["health"])

PING_TIMEOUT_S = 1.5
PING_CACHE_S = 5.0
_last_ping: dict[str, tuple[float, bool]] = {}


async def _llm_reachable(ctx: AppContext) -> bool:
    """Cached for a few seconds: the UI polls health, and a slow endpoint must not slow it."""
    base_url = ctx.settings.llm_base_url
    cached = _last_ping.get(base_url)
    now = time.monotonic()
    if cached is not None and now - cached[0] < PING_CACHE_S:
        return cached[1]
    client = get_shared_client(
        max_concurrency=ctx.settings.llm_max_concurrency,
        timeout_s=ctx.settings.llm_timeout_s,
        max_retries=ctx.settings.llm_max_retries,
    )
    reachable = await client.ping(base_url, ctx.settings.llm_api_key, timeout_s=PING_TIMEOUT_S)
    _last_ping[base_url] = (now, reachable)
    return reachable


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(ctx: Annotated[AppContext, Depends(get_context)]) -> Any:
    """Database and LLM status; 503 when the database does not answer."""
    database_ok = await ctx.db.ping()
    body: dict[str, Any] = {
        "status": "ok" if database_ok else "degraded",
        "database": "ok" if database_ok else "error",
        "llm": {
            "base_url": ctx.settings.llm_base_url,
            "reachable": await _llm_reachable(ctx),
            "demo": ctx.settings.demo_mode,
        },
        "version": __version__,
    }
    if not database_ok:
        return SafeJSONResponse(body, status_code=503)
    return body
