"""What the routes share, built once by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from datagenflow.engine.registry import BlockRegistry
from datagenflow.jobs.manager import JobManager
from datagenflow.settings import Settings
from datagenflow.storage.database import Database
from datagenflow.storage.pipelines import PipelineStore
from datagenflow.storage.records import RecordStore


@dataclass
class AppContext:
    settings: Settings
    db: Database
    registry: BlockRegistry
    jobs: JobManager
    pipelines: PipelineStore
    records: RecordStore


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def multipart_body(fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """`openapi_extra` for routes that read multipart themselves (see uploads.py)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": fields, "required": required}
                }
            },
        }
    }
