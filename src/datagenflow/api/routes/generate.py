from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from datagenflow.api.context import AppContext, get_context, multipart_body
from datagenflow.api.schemas import ErrorBody, JobCreated
from datagenflow.api.uploads import int_field, read_upload

router = APIRouter(tags=["jobs"])

_FIELDS = {
    "file": {"type": "string", "format": "binary", "description": "seed file: JSON, JSONL or CSV"},
    "pipeline_id": {"type": "integer", "minimum": 1},
}


@router.post(
    "/generate",
    response_model=JobCreated,
    status_code=201,
    openapi_extra=multipart_body(_FIELDS, ["file", "pipeline_id"]),
    responses={
        404: {"model": ErrorBody},
        409: {"model": ErrorBody, "description": "a job runs; `detail.job_id` names it"},
        413: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
async def generate(request: Request, ctx: Annotated[AppContext, Depends(get_context)]) -> Any:
    """Start a job: the pipeline over every seed x repetition of the uploaded file."""
    upload = await read_upload(request, ctx.settings.max_upload_bytes)
    pipeline_id = int_field(upload, "pipeline_id")
    filename, data = upload.require_file()
    row = await ctx.jobs.start(pipeline_id, filename, data)
    return {"job_id": row.id}
