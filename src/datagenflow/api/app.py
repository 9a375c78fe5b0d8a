"""The FastAPI application: storage, jobs and block registry wired at start, UI served at `/`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from datagenflow import __version__
from datagenflow.api.auth import TokenAuth
from datagenflow.api.context import AppContext
from datagenflow.api.errors import install_error_handlers
from datagenflow.api.limits import BodyLimit
from datagenflow.api.responses import SafeJSONResponse
from datagenflow.api.routes import (
    blocks,
    export,
    generate,
    health,
    jobs,
    pipelines,
    records,
    seeds,
    templates,
)
from datagenflow.api.schemas import ErrorBody
from datagenflow.api.static import mount_ui
from datagenflow.engine.registry import discover
from datagenflow.jobs.manager import JobManager
from datagenflow.llm import close_shared_client
from datagenflow.settings import Settings, get_settings, use_settings
from datagenflow.storage.database import Database
from datagenflow.storage.pipelines import PipelineStore
from datagenflow.storage.records import RecordStore

log = logging.getLogger("datagenflow.server")


def _lifespan(settings: Settings):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        use_settings(settings)  # the LLM blocks read these, not the environment's
        db = Database(settings.database_url)
        await db.migrate()
        registry = discover(settings.datagenflow_user_blocks)
        for error in registry.errors:
            log.error("block not loaded: %s: %s", error.source, error.error)
        manager = JobManager(db, registry, settings)
        app.state.context = AppContext(
            settings=settings,
            db=db,
            registry=registry,
            jobs=manager,
            pipelines=PipelineStore(db),
            records=RecordStore(db),
        )
        await manager.resume_all()
        try:
            yield
        finally:
            await manager.shutdown()
            await close_shared_client()
            await db.close()

    return lifespan


def _cors_origins(settings: Settings) -> list[str]:
    return [o.strip() for o in settings.datagenflow_cors_origins.split(",") if o.strip()]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="DataGenFlow",
        version=__version__,
        description="Pipelines, jobs, records and export of DataGenFlow. Errors are "
        '`{"error": "...", "detail": {...}}` with a 4xx status.',
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        default_response_class=SafeJSONResponse,
        lifespan=_lifespan(settings),
    )
    install_error_handlers(app)
    api = APIRouter(
        prefix="/api",
        responses={
            401: {
                "model": ErrorBody,
                "description": "missing or wrong API token (when one is set)",
            },
            422: {"model": ErrorBody, "description": "invalid input; `error` says what and where"},
        },
    )
    for module in (health, blocks, templates, pipelines, seeds, generate, jobs, records, export):
        api.include_router(module.router)
    app.include_router(api)
    mount_ui(app)
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    if settings.datagenflow_api_token:
        app.add_middleware(TokenAuth, token=settings.datagenflow_api_token)
    origins = _cors_origins(settings)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials="*" not in origins,
        )
    return app
