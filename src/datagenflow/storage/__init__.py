"""Persistence: SQLAlchemy (async) tables, Alembic migrations and the queries the server needs."""

from datagenflow.storage.database import Database, display_url
from datagenflow.storage.jobs import ACTIVE_STATUSES, FINAL_STATUSES, JobStore
from datagenflow.storage.models import JobRow, PipelineRow, RecordRow
from datagenflow.storage.pipelines import PipelineStore
from datagenflow.storage.records import (
    RECORD_STATUSES,
    REVIEW_STATUSES,
    JobDelta,
    RecordPage,
    RecordStore,
    record_dict,
)

__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "RECORD_STATUSES",
    "REVIEW_STATUSES",
    "Database",
    "JobDelta",
    "JobRow",
    "JobStore",
    "PipelineRow",
    "PipelineStore",
    "RecordPage",
    "RecordRow",
    "RecordStore",
    "display_url",
    "record_dict",
]
