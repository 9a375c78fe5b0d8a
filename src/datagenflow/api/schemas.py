"""Request and response models: they make the OpenAPI spec the frontend generates its types from."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from datagenflow.engine.definition import PipelineDefinition
from datagenflow.engine.nesting import nesting_problem

MAX_ID = 2**63 - 1
Responses = dict[int | str, dict[str, Any]]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id")]

RecordStatus = Literal["pending", "accepted", "rejected", "edited", "failed"]
ReviewStatus = Literal["pending", "accepted", "rejected"]
JobStatus = Literal["queued", "running", "completed", "failed", "cancelled"]


class ErrorBody(BaseModel):
    error: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Block(BaseModel):
    type: str
    name: str
    description: str
    documentation: str = ""
    category: str
    inputs: list[str]
    outputs: list[str]
    source: str
    config_schema: dict[str, Any]


class BlockLoadError(BaseModel):
    source: str
    error: str


class BlocksResponse(BaseModel):
    blocks: list[Block]
    errors: list[BlockLoadError]


class Template(BaseModel):
    id: str
    name: str
    description: str
    definition: PipelineDefinition
    example_seeds: list[dict[str, Any]]


class TemplatesResponse(BaseModel):
    templates: list[Template]


class Pipeline(BaseModel):
    id: int
    name: str
    definition: PipelineDefinition
    created_at: datetime
    updated_at: datetime


class PipelinesResponse(BaseModel):
    pipelines: list[Pipeline]


class Problem(BaseModel):
    block_id: str | None
    field: str | None
    kind: str
    message: str


class BlockFields(BaseModel):
    available: list[str]
    outputs: list[str]


class ValidationResponse(BaseModel):
    valid: bool
    problems: list[Problem]
    fields: dict[str, list[str]]
    blocks: dict[str, BlockFields]


class ExecuteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = nesting_problem(value)
        if problem:
            raise ValueError(f"the metadata {problem}")
        return value


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class TraceEntry(BaseModel):
    block_id: str
    block_type: str
    input: dict[str, Any]
    output: dict[str, Any]
    accumulated_state: dict[str, Any]
    started_at: str
    duration_ms: float
    error: str | None
    usage: dict[str, Any] | None


class ExecuteResponse(BaseModel):
    status: Literal["succeeded", "failed"]
    output: Any
    accumulated_state: dict[str, Any]
    trace: list[TraceEntry]
    error: str | None


class StateSchemaResponse(BaseModel):
    seed_fields: list[str]
    fields: list[str]
    blocks: dict[str, BlockFields]


class SeedsValidation(BaseModel):
    seeds: int
    total_executions: int
    fields: list[str]


class JobCreated(BaseModel):
    job_id: int


class Job(BaseModel):
    id: int
    pipeline_id: int | None
    pipeline_name: str
    status: JobStatus
    total: int
    done: int
    succeeded: int
    failed: int
    current_blocks: list[str]
    elapsed_s: float
    rate: float = Field(description="records per second")
    eta_s: float | None
    error: str | None
    seed_filename: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    usage: Usage


class JobsResponse(BaseModel):
    jobs: list[Job]


class ActiveJobResponse(BaseModel):
    job: Job | None


class Record(BaseModel):
    id: int
    job_id: int
    seed_index: int
    repetition: int
    metadata: dict[str, Any]
    status: RecordStatus
    output: Any
    original_output: Any
    accumulated_state: dict[str, Any]
    trace: list[TraceEntry]
    error: str | None
    created_at: datetime
    updated_at: datetime


class RecordCounts(BaseModel):
    pending: int = 0
    accepted: int = 0
    rejected: int = 0
    edited: int = 0
    failed: int = 0


class RecordsPage(BaseModel):
    records: list[Record]
    total: int
    counts: RecordCounts


class RecordUpdate(BaseModel):
    """`output` (any JSON, even null) marks the record `edited` and keeps the generated one."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "accepted", "rejected", "edited"] | None = None
    output: Any = None


class BulkRecordUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: ReviewStatus
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None, max_length=10_000
    )
    filter_status: Literal["pending", "accepted", "rejected", "edited"] | None = None


class Updated(BaseModel):
    updated: int


class Deleted(BaseModel):
    deleted: int


class LLMHealth(BaseModel):
    base_url: str
    reachable: bool
    demo: bool


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "error"]
    llm: LLMHealth
    version: str


JobIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="only this job's records")]
StatusQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="one status or a comma-separated list, e.g. `accepted,edited`",
    ),
]
