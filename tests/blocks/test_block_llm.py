"""LLMBlock against the fake LLM over real sockets: prompts, config, usage, retries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from datagenflow.blocks.llm import LLMBlock
from datagenflow.engine.definition import parse_definition
from datagenflow.engine.executor import RecordResult, execute_record
from datagenflow.engine.pipeline import build_pipeline
from datagenflow.engine.registry import BlockRegistry
from datagenflow.llm import LLMHTTPError
from datagenflow.llm.mock_server import MockServerThread
from datagenflow.settings import reload_settings


async def _run(
    registry: BlockRegistry, config: dict[str, Any], metadata: dict[str, Any]
) -> RecordResult:
    definition = parse_definition(
        {"name": "t", "blocks": [{"id": "ask", "type": "LLMBlock", "config": config}]}
    )
    return await execute_record(build_pipeline(definition, registry, list(metadata)), metadata)


async def test_prompts_rendered_from_state_reach_the_llm(
    registry: BlockRegistry, fake_llm: MockServerThread
) -> None:
    config = {
        "system_prompt": "You write for {{ level }} readers.",
        "user_prompt": "Write about {{ topic | upper }}{% if extra %} and {{ extra }}{% endif %}.",
    }
    result = await _run(registry, config, {"topic": "tides", "level": "young", "extra": "moons"})
    assert result.status == "succeeded", result.error
    request = fake_llm.stats()["last_request"]
    assert request["messages"] == [
        {"role": "system", "content": "You write for young readers."},
        {"role": "user", "content": "Write about TIDES and moons."},
    ]
    assert request["model"] == "llama3.2"
    assert "temperature" not in request and "max_tokens" not in request
    answer = result.outputs["assistant"]
    assert answer.startswith("Mock reply") and "TIDES" in answer  # the fake echoes the prompt
    usage = result.trace()[0]["usage"]
    assert usage["calls"] == 1 and usage["model"] == "llama3.2"
    assert usage["endpoint"] == fake_llm.base_url
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


async def test_no_system_prompt_sends_only_the_user_message(
    registry: BlockRegistry, fake_llm: MockServerThread
) -> None:
    fake_llm.script([{"content": "scripted answer"}])
    result = await _run(registry, {"user_prompt": "Hi {{ name }}"}, {"name": "Ada"})
    assert result.outputs == {"assistant": "scripted answer"}
    assert fake_llm.stats()["last_request"]["messages"] == [{"role": "user", "content": "Hi Ada"}]


async def test_model_temperature_max_tokens(
    registry: BlockRegistry, fake_llm: MockServerThread
) -> None:
    config = {"user_prompt": "x", "model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 3}
    result = await _run(registry, config, {})
    request = fake_llm.stats()["last_request"]
    assert (request["model"], request["temperature"], request["max_tokens"]) == (
        "gpt-4o-mini",
        0.2,
        3,
    )
    assert result.trace()[0]["usage"]["model"] == "gpt-4o-mini"
    assert len(result.outputs["assistant"]) <= 12  # the fake honours max_tokens


async def test_default_model_from_settings(
    registry: BlockRegistry, fake_llm: MockServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_MODEL", "mock-model")
    reload_settings()
    await _run(registry, {"user_prompt": "x"}, {})
    assert fake_llm.stats()["last_request"]["model"] == "mock-model"


async def test_block_endpoint_overrides_settings(
    registry: BlockRegistry, fake_llm: MockServerThread
) -> None:
    with MockServerThread() as other:
        result = await _run(registry, {"user_prompt": "x", "endpoint": other.base_url}, {})
        assert result.status == "succeeded"
        assert other.stats()["requests"] == 1
        assert result.trace()[0]["usage"]["endpoint"] == other.base_url
    assert fake_llm.stats()["requests"] == 0


async def test_the_api_key_goes_only_to_its_own_endpoint(
    registry: BlockRegistry, fake_llm: MockServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_API_KEY", "sk-main")
    reload_settings()
    await _run(registry, {"user_prompt": "x"}, {})
    assert fake_llm.stats()["last_authorization"] == "Bearer sk-main"
    # a pipeline naming another endpoint (an imported file, say) does not get the key
    with MockServerThread() as other:
        await _run(registry, {"user_prompt": "x", "endpoint": other.base_url + "/"}, {})
        assert other.stats()["requests"] == 1
        assert other.stats()["last_authorization"] is None
        # unless LLM_API_KEYS gives that endpoint its own
        keys = json.dumps({other.base_url + "/chat/completions": "sk-other"})
        monkeypatch.setenv("LLM_API_KEYS", keys)
        reload_settings()
        await _run(registry, {"user_prompt": "x", "endpoint": other.base_url}, {})
        assert other.stats()["last_authorization"] == "Bearer sk-other"
    # and the main endpoint, however it is spelled, gets the main key
    await _run(registry, {"user_prompt": "x", "endpoint": fake_llm.base_url + "/"}, {})
    assert fake_llm.stats()["last_authorization"] == "Bearer sk-main"


async def test_output_field(registry: BlockRegistry, fake_llm: MockServerThread) -> None:
    fake_llm.script([{"content": "Q?"}])
    result = await _run(registry, {"user_prompt": "x", "output_field": "question"}, {})
    assert result.outputs == {"question": "Q?"}


@pytest.mark.parametrize(
    ("script", "statuses"),
    [
        ([{"status": 429}], {"429": 1, "200": 1}),
        ([{"status": 429, "retry_after": 0}, {"status": 503}], {"429": 1, "503": 1, "200": 1}),
        ([{"status": 500}], {"500": 1, "200": 1}),
    ],
)
async def test_transient_errors_are_retried(
    registry: BlockRegistry,
    fake_llm: MockServerThread,
    script: list[dict[str, Any]],
    statuses: dict[str, int],
) -> None:
    fake_llm.script(script)
    result = await _run(registry, {"user_prompt": "Hello {{ who }}"}, {"who": "world"})
    assert result.status == "succeeded", result.error
    assert result.outputs["assistant"].startswith("Mock reply")
    stats = fake_llm.stats()
    assert stats["requests"] == len(script) + 1
    assert stats["by_status"] == statuses


async def test_timeout_is_retried(
    registry: BlockRegistry, fake_llm: MockServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_TIMEOUT_S", "0.3")
    reload_settings()
    fake_llm.script([{"delay_ms": 1000, "content": "too late"}])
    result = await _run(registry, {"user_prompt": "x"}, {})
    assert result.status == "succeeded", result.error
    assert result.outputs["assistant"] != "too late"
    assert fake_llm.stats()["requests"] == 2


async def test_exhausted_retries_fail_the_record(
    registry: BlockRegistry, fake_llm: MockServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    reload_settings()
    fake_llm.script([{"status": 500, "message": "model melted"}])
    result = await _run(registry, {"user_prompt": "x"}, {})
    assert result.status == "failed" and result.error_block == "ask"
    assert result.error is not None
    assert "LLMHTTPError" in result.error and "HTTP 500" in result.error
    assert "model melted" in result.error
    assert fake_llm.stats()["requests"] == 1


async def test_client_errors_are_not_retried(
    registry: BlockRegistry, fake_llm: MockServerThread
) -> None:
    fake_llm.script([{"status": 400, "message": "bad request"}])
    result = await _run(registry, {"user_prompt": "x"}, {})
    assert result.status == "failed"
    assert fake_llm.stats()["requests"] == 1


async def test_direct_execute_raises_llm_errors(fake_llm: MockServerThread) -> None:
    fake_llm.script([{"status": 401, "message": "no key"}])
    with pytest.raises(LLMHTTPError, match="HTTP 401"):
        await LLMBlock(user_prompt="x").execute({})


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"temperature": 2.5}, "temperature must be between 0 and 2"),
        ({"max_tokens": 0}, "max_tokens must be positive"),
        ({"output_field": "1abc"}, "output_field"),
    ],
)
def test_config_checks(config: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        LLMBlock(user_prompt="x", **config)


def test_templates_and_outputs_declared() -> None:
    block = LLMBlock(user_prompt="{{ a }}", system_prompt="{{ b }}", output_field="c")
    assert block.templates() == {"system_prompt": "{{ b }}", "user_prompt": "{{ a }}"}
    assert block.declared_outputs() == ["c"]
