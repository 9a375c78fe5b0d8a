from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from datagenflow.api.context import AppContext, get_context
from datagenflow.api.schemas import BlocksResponse

router = APIRouter(tags=["blocks"])


@router.get("/blocks", response_model=BlocksResponse)
async def list_blocks(ctx: Annotated[AppContext, Depends(get_context)]) -> dict[str, Any]:
    """Every block type with its configuration as JSON Schema, and the block files that failed."""
    return {
        "blocks": ctx.registry.describe(),
        "errors": [error.to_dict() for error in ctx.registry.errors],
    }
