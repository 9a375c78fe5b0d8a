from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from datagenflow.api.context import AppContext, get_context
from datagenflow.api.responses import encode_line
from datagenflow.api.schemas import ErrorBody, JobIdQuery, StatusQuery
from datagenflow.storage.records import parse_statuses

router = APIRouter(tags=["export"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
            "description": "JSON Lines: one record per line",
        },
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
async def export(
    ctx: Annotated[AppContext, Depends(get_context)],
    job_id: JobIdQuery = None,
    status: StatusQuery = None,
) -> StreamingResponse:
    """Stream records as JSON Lines, a chunk at a time, so any size exports in flat memory."""
    statuses = parse_statuses(status)
    if job_id is not None:
        await ctx.jobs.jobs.get(job_id)
    name = f"datagenflow-job-{job_id}" if job_id is not None else "datagenflow-records"
    if statuses:
        name += "-" + "-".join(statuses)

    async def lines() -> AsyncIterator[bytes]:
        async for chunk in ctx.records.export_chunks(job_id=job_id, statuses=statuses):
            yield b"".join(encode_line(line) for line in chunk)

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}.jsonl"'},
    )
