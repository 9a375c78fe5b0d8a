"""What the LLM-calling blocks share: endpoint choice, prompts and usage reporting."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from datagenflow.engine.block import BaseBlock
from datagenflow.engine.context import report_usage
from datagenflow.engine.templating import render
from datagenflow.llm import ChatResult, LLMError, get_shared_client, normalize_base_url
from datagenflow.settings import Settings, get_settings

ENDPOINT_HELP = (
    "OpenAI-compatible base URL for this block; empty uses LLM_BASE_URL. Another endpoint gets "
    "an API key only from LLM_API_KEYS"
)

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_generation_config(
    temperature: float | None, max_tokens: int | None, output_field: str
) -> None:
    """The config checks every LLM block shares; a ValueError is reported by validation."""
    if temperature is not None and not 0 <= temperature <= 2:
        raise ValueError(f"temperature must be between 0 and 2, not {temperature}")
    if max_tokens is not None and max_tokens < 1:
        raise ValueError(f"max_tokens must be positive, not {max_tokens}")
    if not _FIELD_NAME.match(output_field):
        raise ValueError(
            f"output_field {output_field!r} must be a name usable in templates "
            "(letters, digits and '_', not starting with a digit)"
        )


@lru_cache(maxsize=256)
def _same_endpoint(url: str, other: str) -> bool:
    try:
        return normalize_base_url(url) == normalize_base_url(other)
    except LLMError:  # a malformed URL matches nothing; the call itself reports it
        return False


def api_key_for(settings: Settings, base_url: str) -> str:
    """The key to send to `base_url`: LLM_API_KEY to LLM_BASE_URL only, other endpoints their
    LLM_API_KEYS entry or none, so a pipeline naming some other endpoint cannot collect a key."""
    if _same_endpoint(base_url, settings.llm_base_url):
        return settings.llm_api_key
    for url, key in settings.llm_api_keys.items():
        if _same_endpoint(base_url, url):
            return key
    return ""


def resolved_endpoint(endpoint: str | None) -> str:
    return endpoint or get_settings().llm_base_url


def build_messages(
    system_prompt: str, user_prompt: str, state: dict[str, Any]
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if system_prompt:
        messages.append({"role": "system", "content": render(system_prompt, state)})
    messages.append({"role": "user", "content": render(user_prompt, state)})
    return messages


async def chat(
    messages: list[dict[str, Any]],
    *,
    model: str | None,
    endpoint: str | None,
    temperature: float | None,
    max_tokens: int | None,
    response_format: dict[str, Any] | None = None,
) -> ChatResult:
    settings = get_settings()
    client = get_shared_client(
        max_concurrency=settings.llm_max_concurrency,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
    )
    base_url = endpoint or settings.llm_base_url
    result = await client.chat(
        messages,
        base_url=base_url,
        model=model or settings.llm_model,
        api_key=api_key_for(settings, base_url),
        temperature=temperature,
        max_tokens=max_tokens,
        response_format=response_format,
    )
    usage: dict[str, Any] = dict(result.usage.to_dict())
    usage.update(
        calls=1, model=result.model, endpoint=base_url, demo=settings.demo_mode and not endpoint
    )
    report_usage(usage)
    return result


class ChatBlock(BaseBlock):
    """Base of the blocks that send templated prompts to the chat model."""

    user_prompt: str
    system_prompt: str
    model: str | None
    temperature: float | None
    max_tokens: int | None
    endpoint: str | None
    output_field: str

    def _configure(
        self,
        *,
        user_prompt: str,
        system_prompt: str,
        model: str | None,
        temperature: float | None,
        max_tokens: int | None,
        endpoint: str | None,
        output_field: str,
    ) -> None:
        check_generation_config(temperature, max_tokens, output_field)
        self.user_prompt = user_prompt
        self.system_prompt = system_prompt
        self.model = model or None
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.endpoint = endpoint or None
        self.output_field = output_field

    def declared_outputs(self) -> list[str]:
        return [self.output_field]

    def _messages(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        return build_messages(self.system_prompt, self.user_prompt, data)

    async def _chat(
        self, messages: list[dict[str, Any]], response_format: dict[str, Any] | None = None
    ) -> ChatResult:
        return await chat(
            messages,
            model=self.model,
            endpoint=self.endpoint,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            response_format=response_format,
        )
