from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from datagenflow.api.context import AppContext, get_context
from datagenflow.api.schemas import (
    ActiveJobResponse,
    ErrorBody,
    IdPath,
    Job,
    JobsResponse,
    Responses,
)
from datagenflow.storage.jobs import FINAL_STATUSES

router = APIRouter(prefix="/jobs", tags=["jobs"])
Ctx = Annotated[AppContext, Depends(get_context)]
_MISSING: Responses = {404: {"model": ErrorBody}}

EVENT_INTERVAL_S = 0.25
HEARTBEAT_S = 1.0


@router.get("", response_model=JobsResponse)
async def list_jobs(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """Newest first."""
    return {"jobs": await ctx.jobs.list_views(limit)}


@router.get("/active", response_model=ActiveJobResponse)
async def active_job(ctx: Ctx) -> dict[str, Any]:
    return {"job": await ctx.jobs.active_view()}


@router.get("/{job_id}", response_model=Job, responses=_MISSING)
async def get_job(job_id: IdPath, ctx: Ctx) -> dict[str, Any]:
    return await ctx.jobs.view(job_id)


def _event(name: str, job: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {Job.model_validate(job).model_dump_json()}\n\n"


_SSE_EVENT = {
    "type": "object",
    "description": "one server-sent event; `data` is a Job as JSON",
    "properties": {
        "event": {"type": "string", "enum": ["progress", "end"]},
        "data": {"type": "string"},
    },
    "required": ["event", "data"],
}


@router.get(
    "/{job_id}/events",
    responses={
        200: {
            "content": {"text/event-stream": {"schema": _SSE_EVENT}},
            "description": "`event: progress` with a Job on every change, then `event: end`",
        },
        **_MISSING,
    },
)
async def job_events(
    job_id: IdPath,
    ctx: Ctx,
    token: Annotated[
        str | None, Query(max_length=500, description="the API token, for EventSource")
    ] = None,
) -> StreamingResponse:
    """Server-sent progress: a few events a second at most, and a final `end` event."""
    first = await ctx.jobs.view(job_id)

    async def stream() -> AsyncIterator[str]:
        job = first
        while True:
            if job["status"] in FINAL_STATUSES or not ctx.jobs.is_running(job_id):
                job = await ctx.jobs.view(job_id)
                if job["status"] in FINAL_STATUSES or not ctx.jobs.is_running(job_id):
                    yield _event("progress", job)
                    yield _event("end", job)
                    return
            yield _event("progress", job)
            live = ctx.jobs.live(job_id)
            if live is not None:
                await live.wait_change(live.version, HEARTBEAT_S)
            await asyncio.sleep(EVENT_INTERVAL_S)
            job = await ctx.jobs.view(job_id)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.delete("/{job_id}", response_model=Job, responses={**_MISSING, 409: {"model": ErrorBody}})
async def cancel_job(job_id: IdPath, ctx: Ctx) -> dict[str, Any]:
    """Cancel a running job; every record it finished is kept."""
    return await ctx.jobs.cancel(job_id)


@router.post(
    "/{job_id}/retry_failed",
    response_model=Job,
    status_code=202,
    responses={**_MISSING, 409: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def retry_failed(job_id: IdPath, ctx: Ctx) -> dict[str, Any]:
    """Run the job again over its failed records only, replacing them in place."""
    await ctx.jobs.retry_failed(job_id)
    return await ctx.jobs.view(job_id)
