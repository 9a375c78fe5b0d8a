from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from datagenflow.api.context import AppContext, get_context
from datagenflow.api.routes.pipelines import pipeline_dict
from datagenflow.api.schemas import ErrorBody, Pipeline, TemplatesResponse
from datagenflow.templates import get_template, list_templates

router = APIRouter(tags=["templates"])


@router.get("/templates", response_model=TemplatesResponse)
async def templates() -> dict[str, Any]:
    return {
        "templates": [
            {
                "id": t.id,
                "name": t.name,
                "description": t.description,
                "definition": t.definition.model_dump(mode="json", exclude_none=True),
                "example_seeds": t.example_seeds,
            }
            for t in list_templates()
        ]
    }


@router.post(
    "/pipelines/from_template/{template_id}",
    response_model=Pipeline,
    status_code=201,
    responses={404: {"model": ErrorBody}},
)
async def pipeline_from_template(
    template_id: Annotated[str, Path(max_length=200)],
    ctx: Annotated[AppContext, Depends(get_context)],
) -> dict[str, Any]:
    """Save a copy of a template as a new pipeline, ready to edit."""
    template = get_template(template_id)
    definition = template.definition.with_ids()
    row = await ctx.pipelines.create(
        definition.name, definition.model_dump(mode="json", exclude_none=True)
    )
    return pipeline_dict(row)
