import asyncio
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from datagenflow.llm import LLMClient, LLMHTTPError
from datagenflow.llm.mock_server import MockServer, MockServerThread, start_mock_server
from datagenflow.llm.schema_sample import sample_json

SRC = Path(__file__).resolve().parents[2] / "src"

QUESTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "minLength": 40},
        "difficulty": {"type": "string", "enum": ["easy", "medium", "hard"]},
        "points": {"type": "integer", "minimum": 5, "maximum": 9},
        "score": {"type": "number", "minimum": 0.5, "exclusiveMaximum": 1},
        "published": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "minItems": 3},
        "author": {"$ref": "#/$defs/person"},
        "note": {"anyOf": [{"type": "null"}, {"type": "string"}]},
    },
    "required": ["question", "difficulty", "points", "tags", "author"],
    "additionalProperties": False,
    "$defs": {
        "person": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "email": {"type": "string", "format": "email"},
            },
            "required": ["name", "email"],
        }
    },
}


async def test_json_schema_reply_fits_the_schema(
    client: LLMClient, mock_server: MockServer
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    fmt = {"type": "json_schema", "json_schema": {"name": "q", "schema": QUESTION_SCHEMA}}
    result = await client.chat(
        [{"role": "user", "content": "A question about volcanoes"}],
        base_url=mock_server.base_url,
        model="m",
        response_format=fmt,
    )
    data = json.loads(result.content)
    jsonschema.validate(data, QUESTION_SCHEMA)
    assert len(data["tags"]) >= 3
    assert 5 <= data["points"] <= 9
    assert "volcanoes" in data["question"]


@pytest.mark.parametrize(
    "schema",
    [
        {
            "type": "array",
            "items": {"type": "integer", "multipleOf": 5, "minimum": 1},
            "minItems": 4,
        },
        {"type": ["string", "null"], "minLength": 3, "maxLength": 5},
        {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": True, "maxItems": 2},
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"b": {"const": "fixed"}}, "required": ["b"]},
            ]
        },
        {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 2},
        {"type": "number", "maximum": -3},
        {
            "$ref": "#/definitions/node",
            "definitions": {
                "node": {
                    "type": "object",
                    "properties": {
                        "child": {"$ref": "#/definitions/node"},
                        "v": {"type": "integer"},
                    },
                    "required": ["v"],
                }
            },
        },
    ],
)
def test_schema_sampler_handles_common_keywords(schema: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for seed in range(20):
        jsonschema.validate(sample_json(schema, seed=seed, words=["w"]), schema)


async def test_json_object_reply_is_an_object(client: LLMClient, mock_server: MockServer) -> None:
    result = await client.chat(
        [{"role": "user", "content": "Give JSON about otters"}],
        base_url=mock_server.base_url,
        model="m",
        response_format={"type": "json_object"},
    )
    data = json.loads(result.content)
    assert isinstance(data, dict) and "otters" in data["answer"]


async def test_replies_are_deterministic_and_prompt_dependent(
    client: LLMClient, mock_server: MockServer
) -> None:
    async def ask(text: str, fmt: dict[str, Any] | None = None) -> str:
        messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}]
        result = await client.chat(
            messages, base_url=mock_server.base_url, model="m", response_format=fmt
        )
        return result.content

    assert await ask("alpha beta") == await ask("alpha beta")
    assert await ask("alpha beta") != await ask("alpha gamma")
    fmt = {"type": "json_schema", "json_schema": {"schema": QUESTION_SCHEMA}}
    assert await ask("alpha", fmt) == await ask("alpha", fmt)
    assert await ask("alpha", fmt) != await ask("omega", fmt)
    long_prompt = " ".join(f"word{i}" for i in range(200))
    reply = await ask(long_prompt)
    assert "word0" in reply and "word199" in reply


async def test_max_tokens_truncates_plain_text(client: LLMClient, mock_server: MockServer) -> None:
    result = await client.chat(
        [{"role": "user", "content": "many words " * 20}],
        base_url=mock_server.base_url,
        model="m",
        max_tokens=3,
    )
    assert len(result.content) == 12
    assert result.finish_reason == "length"


async def test_usage_grows_with_prompt_size(client: LLMClient, mock_server: MockServer) -> None:
    short = await client.chat(
        [{"role": "user", "content": "hi"}], base_url=mock_server.base_url, model="m"
    )
    long = await client.chat(
        [{"role": "user", "content": "hello " * 400}], base_url=mock_server.base_url, model="m"
    )
    assert long.usage.prompt_tokens > short.usage.prompt_tokens + 400
    assert (
        long.usage
        == (
            await client.chat(
                [{"role": "user", "content": "hello " * 400}],
                base_url=mock_server.base_url,
                model="m",
            )
        ).usage
    )


async def test_reject_json_schema_answers_400_but_json_object_works() -> None:
    server = await start_mock_server(reject_json_schema=True)
    client = LLMClient(backoff_base_s=0.001)
    try:
        fmt = {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}}
        with pytest.raises(LLMHTTPError, match="json_schema not supported") as info:
            await client.chat(
                [{"role": "user", "content": "x"}],
                base_url=server.base_url,
                model="m",
                response_format=fmt,
            )
        assert info.value.status == 400
        result = await client.chat(
            [{"role": "user", "content": "x"}],
            base_url=server.base_url,
            model="m",
            response_format={"type": "json_object"},
        )
        assert json.loads(result.content)
    finally:
        await client.aclose()
        await server.stop()


async def test_error_rate_produces_429s_and_500s_and_client_recovers() -> None:
    server = await start_mock_server(error_rate=0.3, seed=7)
    client = LLMClient(max_retries=10, backoff_base_s=0.001, backoff_max_s=0.01)
    try:
        results = await asyncio.gather(
            *(
                client.chat(
                    [{"role": "user", "content": f"n{i}"}], base_url=server.base_url, model="m"
                )
                for i in range(200)
            )
        )
    finally:
        await client.aclose()
        await server.stop()
    by_status = server.stats()["by_status"]
    assert by_status["200"] == 200
    assert by_status["429"] > 0 and by_status["500"] > 0
    assert sum(r.attempts for r in results) == sum(by_status.values())


async def test_control_endpoints_over_http(mock_server: MockServer) -> None:
    root = mock_server.base_url.removesuffix("/v1")
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{root}/_mock/script", json={"responses": [{"status": 503}]}
        ) as resp:
            assert resp.status == 200
        payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        async with session.post(f"{root}/v1/chat/completions", json=payload) as resp:
            assert resp.status == 503
        async with session.post(f"{root}/chat/completions", json=payload) as resp:
            assert resp.status == 200
            assert (await resp.json())["model"] == "m"
        async with session.post(f"{root}/_mock/config", json={"latency_ms": 1}) as resp:
            assert resp.status == 200
        async with session.get(f"{root}/_mock/stats") as resp:
            stats = await resp.json()
        assert stats["requests"] == 2 and stats["by_status"] == {"200": 1, "503": 1}
        async with session.post(f"{root}/_mock/reset") as resp:
            assert resp.status == 200
        async with session.get(f"{root}/_mock/stats") as resp:
            assert (await resp.json())["requests"] == 0
        async with session.post(f"{root}/_mock/script", json={"responses": "nope"}) as resp:
            assert resp.status == 400
    assert mock_server.state.latency_ms == 1


def test_mock_server_thread_serves_sync_callers() -> None:
    with MockServerThread(latency_ms=0) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        server.script([{"status": 500}])
        request = urllib.request.Request(
            server.base_url + "/chat/completions",
            data=json.dumps(
                {"model": "m", "messages": [{"role": "user", "content": "hey"}]}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=5)
        with urllib.request.urlopen(request, timeout=5) as resp:
            body = json.loads(resp.read())
        assert "hey" in body["choices"][0]["message"]["content"]
        assert server.stats()["by_status"] == {"200": 1, "500": 1}
        server.reset()
        assert server.stats()["requests"] == 0


def test_run_mock_server_prints_where_it_listens() -> None:
    code = "from datagenflow.llm.mock_server import run_mock_server; run_mock_server(port=0)"
    with subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(SRC)},
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            match = re.search(r"(http://\S+/v1)", line)
            assert match, line
            with urllib.request.urlopen(match.group(1) + "/models", timeout=5) as resp:
                assert "mock-model" in resp.read().decode()
        finally:
            proc.terminate()
            assert proc.wait(timeout=10) == 0
