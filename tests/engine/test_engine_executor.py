"""Per-record execution: accumulated state, compact traces rebuilt on read, failures, DAGs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from datagenflow import BaseBlock
from datagenflow.engine.batch import Execution, expand, run_many
from datagenflow.engine.definition import parse_definition
from datagenflow.engine.executor import RecordResult, Step, execute_record, full_trace
from datagenflow.engine.pipeline import Pipeline, build_pipeline
from datagenflow.engine.registry import BlockRegistry, discover
from datagenflow.engine.seeds import Seed
from datagenflow.llm.mock_server import MockServerThread


class Count(BaseBlock):
    inputs = ["text"]
    outputs = ["length"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"length": len(data["text"])}


class Explode(BaseBlock):
    outputs = ["never"]

    def __init__(self, message: str = "kaboom") -> None:
        self.message = message

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError(self.message)


class Sneaky(BaseBlock):
    outputs = ["allowed"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"allowed": 1, "smuggled": 2}


class NotADict(BaseBlock):
    outputs = ["x"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return ["x"]  # type: ignore[return-value]


class Anything(BaseBlock):
    outputs = ["*"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"whatever": 1, "else": 2}


class SyncBlock(BaseBlock):
    outputs = ["sync"]

    def execute(self, data: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        return {"sync": data["text"][::-1]}


class Tag(BaseBlock):
    """Changes what it was given in place (a list from the seed, a dict from upstream)."""

    outputs = ["tagged"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        data["tags"].append("seen")
        data["info"]["by"] = "tag"
        data.pop("topic")
        return {"tagged": list(data["tags"])}


class TagB(Tag):
    outputs = ["tagged_b"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"tagged_b": (await super().execute(data))["tagged"]}


class Info(BaseBlock):
    outputs = ["info"]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"info": {"source": "info"}}


@pytest.fixture
def blocks() -> BlockRegistry:
    registry = discover(None)
    for cls in (Count, Explode, Sneaky, NotADict, Anything, SyncBlock, Tag, TagB, Info):
        registry.register(cls, "test", __name__)
    return registry


def _pipeline(
    registry: BlockRegistry,
    blocks: list[dict[str, Any]],
    edges: list[list[str]] | None = None,
    fields: list[str] | None = None,
) -> Pipeline:
    data: dict[str, Any] = {"name": "t", "blocks": blocks}
    if edges is not None:
        data["edges"] = edges
    return build_pipeline(parse_definition(data), registry, fields)


def _interval(entry: dict[str, Any]) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(entry["started_at"])
    return start, start + timedelta(milliseconds=entry["duration_ms"])


THREE = [
    {
        "id": "ask",
        "type": "LLMBlock",
        "config": {"system_prompt": "You teach {{ level }}.", "user_prompt": "Explain {{ topic }}"},
    },
    {"id": "check", "type": "ValidatorBlock", "config": {"min_length": 5}},
    {
        "id": "out",
        "type": "OutputBlock",
        "config": {"format_template": "{{ topic }}: {{ assistant }}"},
    },
]


async def test_three_block_chain_trace(blocks: BlockRegistry, fake_llm: MockServerThread) -> None:
    fake_llm.script([{"content": "Recursion is a function calling itself."}])
    pipeline = _pipeline(blocks, THREE, fields=["topic", "level"])
    metadata = {"topic": "recursion", "level": "beginners"}
    result = await execute_record(pipeline, metadata)
    assert result.status == "succeeded" and result.error is None and result.error_block is None
    answer = "Recursion is a function calling itself."
    assert result.outputs == {
        "assistant": answer,
        "is_valid": True,
        "validation_errors": [],
        "output": f"recursion: {answer}",
    }
    assert result.output == f"recursion: {answer}"

    trace = result.trace()
    assert [t["block_id"] for t in trace] == ["ask", "check", "out"]
    assert [t["block_type"] for t in trace] == ["LLMBlock", "ValidatorBlock", "OutputBlock"]
    keys = {"block_id", "block_type", "input", "output", "accumulated_state", "started_at",
            "duration_ms", "error", "usage"}  # fmt: skip
    assert all(keys <= set(t) for t in trace)
    ask, check, out = trace
    assert ask["input"] == metadata
    assert ask["output"] == {"assistant": answer}
    assert ask["accumulated_state"] == {**metadata, "assistant": answer}
    assert check["input"] == {**metadata, "assistant": answer}
    assert check["output"] == {"is_valid": True, "validation_errors": []}
    assert check["accumulated_state"] == {**check["input"], **check["output"]}
    assert out["input"] == check["accumulated_state"]
    assert out["accumulated_state"] == {**out["input"], "output": f"recursion: {answer}"}
    for entry in trace:
        assert entry["error"] is None
        assert entry["duration_ms"] >= 0
        assert datetime.fromisoformat(entry["started_at"]).tzinfo is not None
    usage = ask["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["calls"] == 1 and usage["model"] == "llama3.2"
    assert check["usage"] is None and out["usage"] is None
    assert result.usage()["total_tokens"] == usage["total_tokens"]

    # what the fake LLM received is the rendered prompt
    sent = fake_llm.stats()["last_request"]["messages"]
    assert sent == [
        {"role": "system", "content": "You teach beginners."},
        {"role": "user", "content": "Explain recursion"},
    ]

    # stored compactly: each step keeps its own output only; the full trace is rebuilt on read
    stored = json.loads(json.dumps([s.to_dict() for s in result.steps]))
    assert all("input" not in s and "accumulated_state" not in s for s in stored)
    steps = [Step.from_dict(s) for s in stored]
    assert steps == result.steps
    assert full_trace(metadata, steps) == trace


async def test_failing_block_gives_failed_result_with_partial_trace(blocks: BlockRegistry) -> None:
    pipeline = _pipeline(
        blocks,
        [
            {"id": "count", "type": "Count"},
            {"id": "boom", "type": "Explode", "config": {"message": "disk on fire"}},
            {"id": "never", "type": "OutputBlock", "config": {"format_template": "x"}},
        ],
    )
    result = await execute_record(pipeline, {"text": "abc"})
    assert result.status == "failed"
    assert result.error_block == "boom"
    assert result.error == "RuntimeError: disk on fire"
    assert result.output is None
    assert [s.block_id for s in result.steps] == ["count", "boom"]
    trace = result.trace()
    assert trace[0]["output"] == {"length": 3} and trace[0]["error"] is None
    assert trace[1]["error"] == "RuntimeError: disk on fire"
    assert trace[1]["output"] == {}
    assert trace[1]["input"] == {"text": "abc", "length": 3}
    assert result.outputs == {"length": 3}


async def test_undeclared_key_names_block_and_key(blocks: BlockRegistry) -> None:
    pipeline = _pipeline(
        blocks, [{"id": "count", "type": "Count"}, {"id": "sly", "type": "Sneaky"}]
    )
    result = await execute_record(pipeline, {"text": "abc"})
    assert result.status == "failed" and result.error_block == "sly"
    assert result.error is not None
    assert "block 'sly' (Sneaky)" in result.error and "undeclared key 'smuggled'" in result.error
    assert "declared outputs: allowed" in result.error


async def test_non_dict_return_fails(blocks: BlockRegistry) -> None:
    result = await execute_record(_pipeline(blocks, [{"id": "bad", "type": "NotADict"}]), {})
    assert result.status == "failed"
    assert result.error == "block 'bad' (NotADict) returned list, not a dict"


async def test_star_outputs_and_sync_execute(blocks: BlockRegistry) -> None:
    pipeline = _pipeline(
        blocks, [{"id": "any", "type": "Anything"}, {"id": "s", "type": "SyncBlock"}]
    )
    result = await execute_record(pipeline, {"text": "abc"})
    assert result.status == "succeeded", result.error
    assert result.outputs == {"whatever": 1, "else": 2, "sync": "cba"}
    assert result.output == result.outputs  # no `output` field: every block output


async def test_missing_seed_field_at_run_time(blocks: BlockRegistry) -> None:
    pipeline = _pipeline(
        blocks, [{"id": "v", "type": "ValidatorBlock", "config": {"field": "txt"}}]
    )
    result = await execute_record(pipeline, {"text": "abc"})
    assert result.status == "failed"
    assert result.error == (
        "MissingFieldError: field 'txt' is not in the state; did you mean 'text'? (available: text)"
    )


async def test_template_error_at_run_time_lists_fields(blocks: BlockRegistry) -> None:
    pipeline = _pipeline(
        blocks, [{"id": "o", "type": "OutputBlock", "config": {"format_template": "{{ x }}"}}]
    )
    result = await execute_record(pipeline, {"a": 1, "b": 2})
    assert result.status == "failed" and result.error_block == "o"
    assert result.error is not None and "available fields: a, b" in result.error


async def test_block_hook(blocks: BlockRegistry) -> None:
    calls: list[tuple[str, bool]] = []
    pipeline = _pipeline(blocks, [{"id": "c", "type": "Count"}, {"id": "s", "type": "SyncBlock"}])
    await execute_record(
        pipeline, {"text": "x"}, lambda block_id, running: calls.append((block_id, running))
    )
    assert calls == [("c", True), ("c", False), ("s", True), ("s", False)]


DAG = [
    {"id": "root", "type": "LLMBlock", "config": {"user_prompt": "Topic {{ topic }}"}},
    {
        "id": "left",
        "type": "LLMBlock",
        "config": {"user_prompt": "Question about {{ assistant }}", "output_field": "question"},
    },
    {
        "id": "right",
        "type": "LLMBlock",
        "config": {"user_prompt": "Summary of {{ assistant }}", "output_field": "summary"},
    },
    {
        "id": "join",
        "type": "OutputBlock",
        "config": {"format_template": "{{ question }} | {{ summary }}"},
    },
]
DAG_EDGES = [["root", "left"], ["root", "right"], ["left", "join"], ["right", "join"]]


async def test_parallel_branches_overlap(blocks: BlockRegistry, fake_llm: MockServerThread) -> None:
    fake_llm.script(
        [
            {"content": "ROOT"},
            {"delay_ms": 300, "content": "BRANCH-ONE"},
            {"delay_ms": 300, "content": "BRANCH-TWO"},
        ]
    )
    pipeline = _pipeline(blocks, DAG, DAG_EDGES, ["topic"])
    assert not pipeline.is_chain
    result = await execute_record(pipeline, {"topic": "tides"})
    assert result.status == "succeeded", result.error
    trace = {t["block_id"]: t for t in result.trace()}
    assert [s.block_id for s in result.steps] == ["root", "left", "right", "join"]

    # both branches ran at the same time: their [start, start + duration] intervals overlap
    left_start, left_end = _interval(trace["left"])
    right_start, right_end = _interval(trace["right"])
    assert left_start < right_end and right_start < left_end
    assert fake_llm.stats()["max_in_flight"] == 2
    # each branch saw the root's output but not the other branch's
    assert trace["left"]["input"] == {"topic": "tides", "assistant": "ROOT"}
    assert trace["right"]["input"] == {"topic": "tides", "assistant": "ROOT"}
    # the join saw both
    branch_outputs = {trace["left"]["output"]["question"], trace["right"]["output"]["summary"]}
    assert branch_outputs == {"BRANCH-ONE", "BRANCH-TWO"}
    assert trace["join"]["input"] == {
        "topic": "tides",
        "assistant": "ROOT",
        "question": trace["left"]["output"]["question"],
        "summary": trace["right"]["output"]["summary"],
    }
    assert (
        result.output
        == f"{trace['left']['output']['question']} | {trace['right']['output']['summary']}"
    )
    # the compact form rebuilds the same DAG trace
    steps = [Step.from_dict(s.to_dict()) for s in result.steps]
    assert full_trace({"topic": "tides"}, steps) == result.trace()


async def test_failing_branch_fails_the_record(blocks: BlockRegistry) -> None:
    pipeline = _pipeline(
        blocks,
        [
            {"id": "count", "type": "Count"},
            {"id": "boom", "type": "Explode"},
            {"id": "s", "type": "SyncBlock"},
            {"id": "join", "type": "OutputBlock", "config": {"format_template": "{{ sync }}"}},
        ],
        [["count", "boom"], ["count", "s"], ["boom", "join"], ["s", "join"]],
    )
    result = await execute_record(pipeline, {"text": "abc"})
    assert result.status == "failed" and result.error_block == "boom"
    assert "join" not in [s.block_id for s in result.steps]
    assert result.trace()[0]["block_id"] == "count"


async def test_run_many_covers_every_execution(blocks: BlockRegistry) -> None:
    pipeline = _pipeline(blocks, [{"id": "c", "type": "Count"}])
    seeds = [Seed(0, {"text": "a"}, 2), Seed(1, {"text": "bb"}, 3), Seed(2, {"text": "ccc"}, 1)]
    assert len(list(expand(seeds))) == 6
    skip = {(1, 0), (1, 2)}
    seen: dict[tuple[int, int], RecordResult] = {}

    async def on_result(execution: Execution, result: RecordResult) -> None:
        seen[execution.seed_index, execution.repetition] = result

    await run_many(pipeline, expand(seeds, skip), on_result, concurrency=3)
    assert sorted(seen) == [(0, 0), (0, 1), (1, 1), (2, 0)]
    assert seen[1, 1].outputs == {"length": 2}
    assert all(r.status == "succeeded" for r in seen.values())


@pytest.mark.parametrize("edges", [None, [["info", "tag_a"], ["info", "tag_b"]]])
async def test_blocks_changing_their_input_in_place_change_nothing_else(
    blocks: BlockRegistry, edges: list[list[str]] | None
) -> None:
    steps = [{"id": "info", "type": "Info"}, {"id": "tag_a", "type": "Tag"}]
    if edges:  # two branches given the same upstream output
        steps.append({"id": "tag_b", "type": "TagB"})
    pipeline = _pipeline(blocks, steps, edges, fields=["tags", "topic"])
    seed = {"tags": ["first"], "topic": "t"}
    for _ in range(2):  # two repetitions of one seed share its metadata
        result = await execute_record(pipeline, seed)
        assert result.status == "succeeded", result.error
        assert result.outputs["tagged"] == ["first", "seen"]
        if edges:
            assert result.outputs["tagged_b"] == ["first", "seen"]
    assert seed == {"tags": ["first"], "topic": "t"}
    trace = result.trace()
    assert trace[0]["output"] == {"info": {"source": "info"}}
    assert trace[1]["input"] == {"tags": ["first"], "topic": "t", "info": {"source": "info"}}
