"""The Job shape served by the API: the stored row, overlaid with live progress while it runs."""

from __future__ import annotations

from typing import Any

from datagenflow.jobs.progress import LiveProgress
from datagenflow.storage.models import JobRow
from datagenflow.storage.records import as_utc


def job_view(row: JobRow, live: LiveProgress | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "pipeline_id": row.pipeline_id,
        "pipeline_name": row.pipeline_name,
        "status": row.status,
        "total": row.total,
        "done": row.done,
        "succeeded": row.succeeded,
        "failed": row.failed,
        "current_blocks": [],
        "elapsed_s": round(row.elapsed_s, 3),
        "rate": round(row.done / row.elapsed_s, 3) if row.elapsed_s > 0 else 0.0,
        "eta_s": None,
        "error": row.error,
        "seed_filename": row.seed_filename,
        "created_at": as_utc(row.created_at),
        "started_at": as_utc(row.started_at),
        "finished_at": as_utc(row.finished_at),
        "usage": {
            "prompt_tokens": row.prompt_tokens,
            "completion_tokens": row.completion_tokens,
            "total_tokens": row.total_tokens,
        },
    }
    if live is not None:
        view.update(live.snapshot())
    return view
