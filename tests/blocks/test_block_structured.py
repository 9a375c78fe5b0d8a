"""StructuredGenerator: json_schema generation, json_object fallback, fenced JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from datagenflow.blocks.json_parsing import extract_json
from datagenflow.blocks.structured import StructuredGenerator
from datagenflow.engine.definition import parse_definition
from datagenflow.engine.executor import execute_record
from datagenflow.engine.pipeline import build_pipeline
from datagenflow.engine.registry import BlockRegistry
from datagenflow.llm import LLMHTTPError
from datagenflow.llm.mock_server import MockServerThread
from datagenflow.settings import reload_settings

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "enum": ["positive", "negative"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
    "required": ["label", "score", "tags"],
}


async def test_json_schema_reply_is_parsed(fake_llm: MockServerThread) -> None:
    block = StructuredGenerator(
        json_schema=SCHEMA, user_prompt="Classify {{ text }}", system_prompt="Be terse."
    )
    result = await block.execute({"text": "great product"})
    generated = result["generated"]
    assert set(generated) >= {"label", "score", "tags"}
    assert generated["label"] in ("positive", "negative")
    assert 0 <= generated["score"] <= 1
    request = fake_llm.stats()["last_request"]
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": SCHEMA},
    }
    assert request["messages"][-1] == {"role": "user", "content": "Classify great product"}


async def test_usage_in_trace(registry: BlockRegistry, fake_llm: MockServerThread) -> None:
    definition = parse_definition(
        {
            "name": "s",
            "blocks": [
                {
                    "id": "gen",
                    "type": "StructuredGenerator",
                    "config": {
                        "json_schema": SCHEMA,
                        "user_prompt": "{{ text }}",
                        "output_field": "g",
                    },
                }
            ],
        }
    )
    result = await execute_record(build_pipeline(definition, registry, ["text"]), {"text": "ok"})
    assert result.status == "succeeded", result.error
    assert set(result.outputs) == {"g"}
    usage = result.trace()[0]["usage"]
    assert usage["calls"] == 1 and usage["total_tokens"] > 0


@pytest.mark.parametrize(
    "content",
    [
        '```json\n{"label": "positive", "score": 0.9, "tags": ["a"]}\n```',
        'Sure! Here it is:\n```\n{"label": "positive", "score": 0.9, "tags": ["a"]}\n```\nBye.',
        'The answer is {"label": "positive", "score": 0.9, "tags": ["a"]} as requested.',
    ],
)
async def test_fenced_or_wrapped_json_is_accepted(fake_llm: MockServerThread, content: str) -> None:
    fake_llm.script([{"content": content}])
    result = await StructuredGenerator(json_schema=SCHEMA, user_prompt="x").execute({})
    assert result == {"generated": {"label": "positive", "score": 0.9, "tags": ["a"]}}


async def test_reply_that_is_not_an_object_fails(fake_llm: MockServerThread) -> None:
    fake_llm.script([{"content": "[1, 2]"}])
    with pytest.raises(ValueError, match="expected a JSON object, got list"):
        await StructuredGenerator(json_schema=SCHEMA, user_prompt="x").execute({})
    fake_llm.script([{"content": "no json at all"}])
    with pytest.raises(ValueError, match="no valid JSON found"):
        await StructuredGenerator(json_schema=SCHEMA, user_prompt="x").execute({})


async def test_fallback_to_json_object_when_json_schema_is_refused(
    fake_llm: MockServerThread,
) -> None:
    with MockServerThread(reject_json_schema=True) as strict:
        block = StructuredGenerator(
            json_schema=SCHEMA, user_prompt="Label {{ t }}", endpoint=strict.base_url
        )
        result = await block.execute({"t": "meh"})
        # the fake answers json_object requests with {"answer": ...}
        assert set(result["generated"]) == {"answer"}
        stats = strict.stats()
        assert stats["by_status"] == {"400": 1, "200": 1}
        request = stats["last_request"]
        assert request["response_format"] == {"type": "json_object"}
        assert request["messages"][0]["role"] == "system"
        assert json.dumps(SCHEMA) in request["messages"][0]["content"]
        assert request["messages"][-1] == {"role": "user", "content": "Label meh"}

        # remembered: the next call goes straight to json_object
        strict.reset()
        await block.execute({"t": "again"})
        assert strict.stats()["by_status"] == {"200": 1}
    assert fake_llm.stats()["requests"] == 0


async def test_fallback_is_remembered_per_endpoint(
    fake_llm: MockServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = StructuredGenerator(json_schema=SCHEMA, user_prompt="x")  # endpoint from settings
    with MockServerThread(reject_json_schema=True) as strict:
        monkeypatch.setenv("LLM_BASE_URL", strict.base_url)
        reload_settings()
        await block.execute({})
        assert strict.stats()["by_status"] == {"400": 1, "200": 1}
    # another endpoint configured later still gets json_schema
    monkeypatch.setenv("LLM_BASE_URL", fake_llm.base_url)
    reload_settings()
    await block.execute({})
    assert fake_llm.stats()["last_request"]["response_format"]["type"] == "json_schema"


async def test_unrelated_400_is_not_remembered(fake_llm: MockServerThread) -> None:
    block = StructuredGenerator(json_schema=SCHEMA, user_prompt="x")
    fake_llm.script([{"status": 400, "message": "model not found"}] * 2)
    with pytest.raises(LLMHTTPError, match="model not found"):
        await block.execute({})
    fake_llm.reset()
    await block.execute({})
    assert fake_llm.stats()["last_request"]["response_format"]["type"] == "json_schema"


def test_config_checks() -> None:
    with pytest.raises(ValueError, match="must describe an object"):
        StructuredGenerator(json_schema={"type": "array"}, user_prompt="x")
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        StructuredGenerator(json_schema={"type": "object", "required": "label"}, user_prompt="x")
    with pytest.raises(ValueError, match="temperature"):
        StructuredGenerator(json_schema=SCHEMA, user_prompt="x", temperature=-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("  [1, 2] ", [1, 2]),
        ('```json\n{"a": [1, {"b": 2}]}\n```', {"a": [1, {"b": 2}]}),
        ('```JSON\n{"a": 1}```', {"a": 1}),
        ('prose {"a": "}"} more prose', {"a": "}"}),
        ('Result:\n["x", "y"]\nDone', ["x", "y"]),
        ({"already": "parsed"}, {"already": "parsed"}),
        ([1], [1]),
        ('"just a string"', "just a string"),
    ],
)
def test_extract_json(value: Any, expected: Any) -> None:
    assert extract_json(value) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("not json", "no valid JSON found"),
        ('{"a": }', "Expecting value at line 1, column 7"),
        (42, "expected JSON text, got int"),
        (None, "expected JSON text, got NoneType"),
    ],
)
def test_extract_json_errors(value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        extract_json(value)


async def test_mode_json_object_never_sends_the_schema_format(fake_llm: MockServerThread) -> None:
    block = StructuredGenerator(json_schema=SCHEMA, user_prompt="x", mode="json_object")
    result = await block.execute({})
    request = fake_llm.stats()["last_request"]
    assert request["response_format"] == {"type": "json_object"}
    assert json.dumps(SCHEMA) in request["messages"][0]["content"]
    assert isinstance(result["generated"], dict)


async def test_mode_json_schema_does_not_fall_back() -> None:
    with MockServerThread(reject_json_schema=True) as strict:
        block = StructuredGenerator(
            json_schema=SCHEMA, user_prompt="x", endpoint=strict.base_url, mode="json_schema"
        )
        with pytest.raises(LLMHTTPError):
            await block.execute({})
        assert strict.stats()["by_status"] == {"400": 1}


def test_mode_is_an_enum_in_the_schema(registry: BlockRegistry) -> None:
    schema = registry.blocks["StructuredGenerator"].describe()["config_schema"]
    assert schema["properties"]["mode"]["enum"] == ["auto", "json_schema", "json_object"]
    assert schema["properties"]["mode"]["default"] == "auto"
