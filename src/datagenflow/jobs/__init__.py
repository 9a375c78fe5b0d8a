"""Background jobs: a pipeline over every seed x repetition, with progress, cancel and resume."""

from datagenflow.jobs.manager import JobManager
from datagenflow.jobs.progress import LiveProgress
from datagenflow.jobs.views import job_view

__all__ = ["JobManager", "LiveProgress", "job_view"]
