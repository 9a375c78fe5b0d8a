"""What the LLM-calling blocks share: endpoint choice, prompts and usage reporting."""

from __future__ import annotations

from typing import Any

from datagenflow.engine.context import report_usage
from datagenflow.engine.templating import render
from datagenflow.llm import ChatResult, get_shared_client
from datagenflow.settings import get_settings


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
        api_key=settings.llm_api_key,
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
