"""ValidatorBlock, JSONValidatorBlock and OutputBlock."""

from __future__ import annotations

from typing import Any

import pytest

from datagenflow.blocks.json_validator import JSONValidatorBlock
from datagenflow.blocks.output import OutputBlock
from datagenflow.blocks.validator import ValidatorBlock
from datagenflow.engine.templating import TemplateError


async def check(block: ValidatorBlock, text: Any, field: str = "assistant") -> list[str]:
    result = await block.execute({field: text})
    assert result["is_valid"] == (not result["validation_errors"])
    errors: list[str] = result["validation_errors"]
    return errors


async def test_validator_length() -> None:
    block = ValidatorBlock(min_length=3, max_length=5)
    assert await check(block, "abcd") == []
    assert await check(block, "abc") == []
    assert await check(block, "abcde") == []
    assert await check(block, "ab") == ["length 2 is below the minimum 3"]
    assert await check(block, "abcdef") == ["length 6 is above the maximum 5"]


async def test_validator_patterns() -> None:
    block = ValidatorBlock(patterns=[r"\?$", r"^[A-Z]"])
    assert await check(block, "What is it?") == []
    assert await check(block, "what is it") == ["pattern '\\\\?$' does not match"]
    errors = await check(ValidatorBlock(patterns=[r"\?$", r"^[A-Z]"], case_sensitive=True), "what")
    assert errors == ["pattern '\\\\?$' does not match", "pattern '^[A-Z]' does not match"]


async def test_validator_forbidden_patterns_and_words() -> None:
    block = ValidatorBlock(
        forbidden_patterns=[r"\d{3}-\d{4}"], forbidden_words=["as an AI", "lorem", "C++"]
    )
    assert await check(block, "A clean sentence about C and Python.") == []
    assert await check(block, "Call 555-1234 now") == [
        "forbidden pattern '\\\\d{3}-\\\\d{4}' matches"
    ]
    assert await check(block, "As an AI, I think") == ["forbidden word 'as an AI' appears"]
    assert await check(block, "LOREM ipsum") == ["forbidden word 'lorem' appears"]
    assert await check(block, "loremipsum is one word") == []  # whole words only
    assert await check(block, "I like C++ a lot") == ["forbidden word 'C++' appears"]
    sensitive = ValidatorBlock(forbidden_words=["lorem"], case_sensitive=True)
    assert await check(sensitive, "LOREM ipsum") == []
    assert await check(sensitive, "lorem ipsum") == ["forbidden word 'lorem' appears"]


async def test_validator_reports_every_failure_and_reads_any_field() -> None:
    block = ValidatorBlock(field="answer", min_length=50, patterns=["^Q:"], forbidden_words=["bad"])
    errors = await check(block, "a bad answer", field="answer")
    assert errors == [
        "length 12 is below the minimum 50",
        "pattern '^Q:' does not match",
        "forbidden word 'bad' appears",
    ]
    # non-text values are checked as their JSON text
    assert await check(ValidatorBlock(field="n", max_length=3), {"a": 1}, field="n") == [
        "length 8 is above the maximum 3"
    ]


async def test_validator_missing_field() -> None:
    with pytest.raises(KeyError) as info:
        await ValidatorBlock(field="answer").execute({"assistant": "x"})
    assert str(info.value) == "field 'answer' is not in the state (available: assistant)"


def test_validator_config_errors() -> None:
    with pytest.raises(ValueError, match=r"pattern '\(oops' is not a valid regex"):
        ValidatorBlock(patterns=["(oops"])
    with pytest.raises(ValueError, match=r"forbidden pattern '\[a-' is not a valid regex"):
        ValidatorBlock(forbidden_patterns=["[a-"])
    with pytest.raises(ValueError, match="min_length 5 is greater than max_length 2"):
        ValidatorBlock(min_length=5, max_length=2)


SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "price": {"type": "number", "minimum": 0}},
    "required": ["name"],
}


async def test_json_validator_valid_text_and_objects() -> None:
    block = JSONValidatorBlock(field_name="reply", required_fields=["name"], schema=SCHEMA)
    for value in ('{"name": "mug", "price": 3}', '```json\n{"name": "mug", "price": 3}\n```',
                  {"name": "mug", "price": 3}):  # fmt: skip
        result = await block.execute({"reply": value})
        assert result == {
            "valid": True,
            "parsed_json": {"name": "mug", "price": 3},
            "json_errors": [],
        }


async def test_json_validator_required_fields() -> None:
    block = JSONValidatorBlock(field_name="reply", required_fields=["name", "price"])
    result = await block.execute({"reply": '{"price": 1}'})
    assert result["valid"] is False
    assert result["json_errors"] == ["required field 'name' is missing"]
    result = await block.execute({"reply": "[1, 2]"})
    assert result["json_errors"] == ["expected an object with fields, got list"]


async def test_json_validator_schema() -> None:
    block = JSONValidatorBlock(field_name="reply", schema=SCHEMA)
    result = await block.execute({"reply": '{"name": 5, "price": -1}'})
    assert result["valid"] is False
    assert result["parsed_json"] == {"name": 5, "price": -1}
    assert result["json_errors"] == [
        "name: 5 is not of type 'string'",
        "price: -1 is less than the minimum of 0",
    ]
    result = await block.execute({"reply": "{}"})
    assert result["json_errors"] == ["(root): 'name' is a required property"]


async def test_json_validator_unparsable() -> None:
    result = await JSONValidatorBlock().execute({"assistant": "not json"})
    assert result["valid"] is False and result["parsed_json"] is None
    assert "no valid JSON found" in result["json_errors"][0]


async def test_json_validator_strict_fails_the_record() -> None:
    block = JSONValidatorBlock(field_name="reply", required_fields=["name"], strict=True)
    with pytest.raises(
        ValueError, match="invalid JSON in 'reply': required field 'name' is missing"
    ):
        await block.execute({"reply": "{}"})
    assert (await block.execute({"reply": '{"name": "x"}'}))["valid"] is True


def test_json_validator_invalid_schema_at_config_time() -> None:
    with pytest.raises(ValueError, match="schema is not a valid JSON Schema"):
        JSONValidatorBlock(schema={"type": "nonsense"})


async def test_output_template() -> None:
    block = OutputBlock(format_template="Q: {{ question }}\nA: {{ answer | truncate(9) }}")
    result = await block.execute({"question": "Why?", "answer": "Because it is so."})
    assert result == {"output": "Q: Why?\nA: Becaus..."}


async def test_output_tojson_and_parse_json() -> None:
    block = OutputBlock(
        format_template='{"q": {{ question | tojson }}, "tags": {{ tags | tojson }}, '
        '"ok": {{ ok | tojson }}}',
        parse_json=True,
    )
    state = {"question": 'Say "hi"\nplease', "tags": ["a", "é"], "ok": True}
    assert await block.execute(state) == {
        "output": {"q": 'Say "hi"\nplease', "tags": ["a", "é"], "ok": True}
    }


async def test_output_parse_json_error() -> None:
    block = OutputBlock(format_template="{{ question }}", parse_json=True)
    with pytest.raises(ValueError, match="rendered output is not JSON"):
        await block.execute({"question": "plain text"})


async def test_output_undefined_field() -> None:
    with pytest.raises(TemplateError, match="'answr' is undefined; available fields: answer"):
        await OutputBlock(format_template="{{ answr }}").execute({"answer": "x"})
