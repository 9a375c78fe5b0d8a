"""Configuration from the environment or `.env`: one class, read once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_LLM_BASE_URL = "http://localhost:11434/v1"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    llm_base_url: str = Field(
        default=DEFAULT_LLM_BASE_URL,
        validation_alias=AliasChoices("LLM_BASE_URL", "LLM_ENDPOINT", "llm_base_url"),
    )
    llm_api_key: str = ""
    # keys for other endpoints a block names: LLM_API_KEY goes to LLM_BASE_URL only
    llm_api_keys: dict[str, str] = Field(default_factory=dict)
    llm_model: str = "llama3.2"
    llm_max_concurrency: int = Field(default=64, ge=1)
    llm_timeout_s: float = Field(default=120.0, gt=0)
    llm_max_retries: int = Field(default=5, ge=0)

    database_url: str = "sqlite:///./data/datagenflow.db"
    datagenflow_user_blocks: Path = Path("./user_blocks")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    datagenflow_api_token: str = ""
    datagenflow_cors_origins: str = ""

    max_executions: int = Field(default=10_000_000, ge=1)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    max_request_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    job_concurrency: int = Field(default=64, ge=1)
    max_running_jobs: int = Field(default=1, ge=1)
    job_fail_fast: int = Field(default=25, ge=0)
    demo_mode: bool = False

    datagenflow_executor: Literal["local", "ray"] = "local"
    ray_address: str = ""
    ray_num_cpus: int | None = Field(default=None, ge=1)

    @field_validator("llm_base_url")
    @classmethod
    def _strip_endpoint(cls, value: str) -> str:
        """`LLM_ENDPOINT` may be a full chat-completions URL; keep only the base."""
        value = value.strip().rstrip("/")
        suffix = "/chat/completions"
        if value.endswith(suffix):
            value = value[: -len(suffix)]
        return value


@lru_cache(maxsize=1)
def _from_environment() -> Settings:
    return Settings()


_in_use: list[Settings] = []


def get_settings() -> Settings:
    """The settings blocks and the LLM client read: an app's own when it runs with some
    (`use_settings`), else the environment's, read once."""
    return _in_use[-1] if _in_use else _from_environment()


def use_settings(settings: Settings) -> None:
    """Make an app's settings, not the environment's, what the rest of the process reads."""
    _in_use[:] = [settings]


def reload_settings() -> Settings:
    """Forget the settings read or put in use so far and read the environment again."""
    _in_use.clear()
    _from_environment.cache_clear()
    return get_settings()
