from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from datagenflow.api.context import AppContext, get_context, multipart_body
from datagenflow.api.schemas import ErrorBody, SeedsValidation
from datagenflow.api.uploads import read_upload
from datagenflow.engine.seeds import seed_fields, total_executions

router = APIRouter(tags=["seeds"])

_FILE = {"file": {"type": "string", "format": "binary", "description": "JSON, JSONL or CSV"}}


@router.post(
    "/seeds/validate",
    response_model=SeedsValidation,
    openapi_extra=multipart_body(_FILE, ["file"]),
    responses={413: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def validate_seeds(
    request: Request, ctx: Annotated[AppContext, Depends(get_context)]
) -> dict[str, Any]:
    """Parse a seed file as a job would; a bad one is refused naming its first bad entry."""
    upload = await read_upload(request, ctx.settings.max_upload_bytes)
    filename, data = upload.require_file()
    seeds = await asyncio.to_thread(ctx.jobs.parse_seed_file, data, filename)
    return {
        "seeds": len(seeds),
        "total_executions": total_executions(seeds),
        "fields": seed_fields(seeds),
    }
