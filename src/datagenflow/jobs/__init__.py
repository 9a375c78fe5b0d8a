"""Background jobs: a pipeline over every seed x repetition, with progress, cancel and resume.

Nothing is imported here: `datagenflow run` uses `jobs.executors` alone, and must not pay for
SQLAlchemy at start-up.
"""
