from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from datagenflow.api.context import AppContext, get_context
from datagenflow.api.schemas import (
    ErrorBody,
    ExecuteRequest,
    ExecuteResponse,
    IdPath,
    Pipeline,
    PipelinesResponse,
    Responses,
    StateSchemaResponse,
    ValidationResponse,
)
from datagenflow.api.uploads import read_text_body
from datagenflow.engine.definition import (
    PipelineDefinition,
    definition_yaml,
    parse_definition,
    parse_definition_text,
)
from datagenflow.engine.executor import execute_record
from datagenflow.engine.pipeline import PipelineInvalid, available_fields, build_pipeline, validate
from datagenflow.errors import InvalidInputError
from datagenflow.storage.models import PipelineRow
from datagenflow.storage.records import as_utc

router = APIRouter(prefix="/pipelines", tags=["pipelines"])
Ctx = Annotated[AppContext, Depends(get_context)]
_INVALID: Responses = {
    422: {"model": ErrorBody, "description": "invalid; `detail.problems` lists them"}
}
_MISSING: Responses = {404: {"model": ErrorBody}}
MAX_PIPELINE_FILE_BYTES = 1024 * 1024
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": "the file's text: YAML, or JSON (YAML reads it too)",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


def pipeline_dict(row: PipelineRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "definition": row.definition,
        "created_at": as_utc(row.created_at),
        "updated_at": as_utc(row.updated_at),
    }


def _non_finite(value: Any, where: str) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _non_finite(item, f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]")
        if found:
            return found
    return None


def _checked(body: PipelineDefinition, ctx: AppContext) -> PipelineDefinition:
    definition = body.with_ids()
    where = _non_finite(definition.model_dump(), "pipeline")
    if where:
        raise InvalidInputError(
            f"{where}: numbers must be finite (NaN and Infinity are not JSON)", {"field": where}
        )
    problems = validate(definition, ctx.registry)
    if problems:
        raise PipelineInvalid(problems, f"pipeline '{definition.name}'")
    return definition


def _stored(definition: PipelineDefinition) -> dict[str, Any]:
    return definition.model_dump(mode="json", exclude_none=True)


@router.get("", response_model=PipelinesResponse)
async def list_pipelines(ctx: Ctx) -> dict[str, Any]:
    return {"pipelines": [pipeline_dict(row) for row in await ctx.pipelines.all()]}


@router.post("", response_model=Pipeline, status_code=201, responses=_INVALID)
async def create_pipeline(body: PipelineDefinition, ctx: Ctx) -> dict[str, Any]:
    """Save a pipeline; an invalid one is refused with every problem listed."""
    definition = _checked(body, ctx)
    return pipeline_dict(await ctx.pipelines.create(definition.name, _stored(definition)))


@router.post(
    "/import",
    response_model=Pipeline,
    status_code=201,
    openapi_extra=_FILE_BODY,
    responses={**_INVALID, 413: {"model": ErrorBody}},
)
async def import_pipeline(
    request: Request,
    ctx: Ctx,
    filename: Annotated[
        str, Query(min_length=1, max_length=200, description="named in error messages")
    ] = "pipeline.yaml",
) -> dict[str, Any]:
    """Save a pipeline from a YAML or JSON file, the format `download` gives and
    `datagenflow run` reads; an invalid one is refused with every problem listed."""
    text = await read_text_body(request, MAX_PIPELINE_FILE_BYTES, filename)
    as_json = request.headers.get("content-type", "").startswith("application/json") or None
    definition = _checked(parse_definition_text(text, filename, as_json=as_json), ctx)
    return pipeline_dict(await ctx.pipelines.create(definition.name, _stored(definition)))


@router.post("/validate", response_model=ValidationResponse)
async def validate_pipeline(body: PipelineDefinition, ctx: Ctx) -> dict[str, Any]:
    """Every problem at once, and the fields each block can read (for the editor's dropdowns)."""
    definition = body.with_ids()
    problems = validate(definition, ctx.registry)
    fields = available_fields(definition, ctx.registry)
    return {
        "valid": not problems,
        "problems": [p.to_dict() for p in problems],
        "fields": {block_id: info["available"] for block_id, info in fields.items()},
        "blocks": fields,
    }


@router.get("/{pipeline_id}", response_model=Pipeline, responses=_MISSING)
async def get_pipeline(pipeline_id: IdPath, ctx: Ctx) -> dict[str, Any]:
    return pipeline_dict(await ctx.pipelines.get(pipeline_id))


@router.put("/{pipeline_id}", response_model=Pipeline, responses={**_INVALID, **_MISSING})
async def update_pipeline(
    pipeline_id: IdPath, body: PipelineDefinition, ctx: Ctx
) -> dict[str, Any]:
    await ctx.pipelines.get(pipeline_id)
    definition = _checked(body, ctx)
    row = await ctx.pipelines.update(pipeline_id, definition.name, _stored(definition))
    return pipeline_dict(row)


def _file_name(name: str, pipeline_id: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80]
    return slug or f"pipeline-{pipeline_id}"


@router.get(
    "/{pipeline_id}/download",
    response_class=Response,
    responses={
        **_MISSING,
        200: {
            "description": "the definition as a file",
            "content": {"application/yaml": {}, "application/json": {}},
        },
    },
)
async def download_pipeline(
    pipeline_id: IdPath, ctx: Ctx, format: Literal["yaml", "json"] = "yaml"
) -> Response:
    """The definition as a file for `datagenflow run` or `import` (with the editor's layout,
    which the CLI ignores)."""
    row = await ctx.pipelines.get(pipeline_id)
    if format == "json":
        body = json.dumps(row.definition, indent=2, ensure_ascii=False) + "\n"
        media = "application/json"
    else:
        body, media = definition_yaml(row.definition), "application/yaml"
    name = f"{_file_name(row.name, pipeline_id)}.{format}"
    return Response(
        body.encode(),
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.delete("/{pipeline_id}", status_code=204, responses=_MISSING)
async def delete_pipeline(pipeline_id: IdPath, ctx: Ctx) -> Response:
    """Jobs keep their own copy of the definition, so their records stay readable."""
    await ctx.pipelines.delete(pipeline_id)
    return Response(status_code=204)


@router.post(
    "/{pipeline_id}/execute", response_model=ExecuteResponse, responses={**_INVALID, **_MISSING}
)
async def execute_pipeline(pipeline_id: IdPath, body: ExecuteRequest, ctx: Ctx) -> dict[str, Any]:
    """Run one seed through the pipeline and return the result with its trace; nothing is stored."""
    row = await ctx.pipelines.get(pipeline_id)
    definition = parse_definition(row.definition, f"pipeline {pipeline_id}")
    pipeline = build_pipeline(definition, ctx.registry, list(body.metadata))
    result = await execute_record(pipeline, body.metadata)
    return {
        "status": result.status,
        "output": result.output,
        "accumulated_state": result.outputs,
        "trace": result.trace(),
        "error": result.error,
    }


@router.get(
    "/{pipeline_id}/accumulated_state_schema",
    response_model=StateSchemaResponse,
    responses=_MISSING,
)
async def accumulated_state_schema(pipeline_id: IdPath, ctx: Ctx) -> dict[str, Any]:
    """The fields of the accumulated state: from the seeds, and what each block adds."""
    row = await ctx.pipelines.get(pipeline_id)
    definition = parse_definition(row.definition, f"pipeline {pipeline_id}")
    seed_fields = list(definition.seed_fields or [])
    blocks = available_fields(definition, ctx.registry, seed_fields)
    everything = list(seed_fields)
    for info in blocks.values():
        everything.extend(f for f in info["outputs"] if f not in everything)
    return {"seed_fields": seed_fields, "fields": everything, "blocks": blocks}
