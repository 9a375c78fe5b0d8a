from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from datagenflow.api.context import AppContext, get_context
from datagenflow.api.schemas import (
    MAX_ID,
    BulkRecordUpdate,
    Deleted,
    ErrorBody,
    IdPath,
    JobIdQuery,
    Record,
    RecordsPage,
    RecordUpdate,
    Responses,
    StatusQuery,
    Updated,
)
from datagenflow.errors import InvalidInputError
from datagenflow.storage.records import parse_statuses, record_dict

router = APIRouter(prefix="/records", tags=["records"])
Ctx = Annotated[AppContext, Depends(get_context)]
_MISSING: Responses = {404: {"model": ErrorBody}}


@router.get("", response_model=RecordsPage)
async def list_records(
    ctx: Ctx,
    job_id: JobIdQuery = None,
    status: StatusQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> dict[str, Any]:
    """Records in creation order with their traces; `counts` are per status for the job filter."""
    page = await ctx.records.page(
        job_id=job_id, statuses=parse_statuses(status), limit=limit, offset=offset
    )
    return {
        "records": [record_dict(row) for row in page.rows],
        "total": page.total,
        "counts": page.counts,
    }


@router.put("", response_model=Updated, responses={422: {"model": ErrorBody}})
async def bulk_update(body: BulkRecordUpdate, ctx: Ctx) -> dict[str, Any]:
    """Set one status on many records: a job's (optionally those in `filter_status`) or `ids`.

    Failed records are left alone: retry them instead.
    """
    if body.job_id is None and body.ids is None:
        raise InvalidInputError("give a 'job_id' or a list of 'ids' to update", {"field": "job_id"})
    updated = await ctx.records.bulk_review(
        status=body.status, job_id=body.job_id, ids=body.ids, filter_status=body.filter_status
    )
    return {"updated": updated}


@router.delete("", response_model=Deleted, responses={**_MISSING, 409: {"model": ErrorBody}})
async def delete_job_records(
    ctx: Ctx,
    job_id: Annotated[int, Query(ge=1, le=MAX_ID, description="the job to delete")],
) -> dict[str, Any]:
    """Delete a job's records and the job itself; refused while it runs."""
    return {"deleted": await ctx.jobs.delete_job(job_id)}


@router.get("/{record_id}", response_model=Record, responses=_MISSING)
async def get_record(record_id: IdPath, ctx: Ctx) -> dict[str, Any]:
    return record_dict(await ctx.records.get(record_id))


@router.put(
    "/{record_id}",
    response_model=Record,
    responses={**_MISSING, 409: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def update_record(record_id: IdPath, body: RecordUpdate, ctx: Ctx) -> dict[str, Any]:
    """Accept, reject, or edit: an `output` marks the record `edited` and keeps the original."""
    has_output = "output" in body.model_fields_set
    if not has_output and body.status is None:
        raise InvalidInputError("give a 'status' or an 'output'", {"field": "status"})
    row = await ctx.records.review(
        record_id, status=body.status, output=body.output, has_output=has_output
    )
    return record_dict(row)
