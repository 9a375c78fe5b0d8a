"""Typed `__init__` parameters become JSON Schema for the UI and a checker for configs."""

from __future__ import annotations

from typing import Any, Literal

from datagenflow import BaseBlock, Param
from datagenflow.engine.config_schema import check_config, config_schema
from datagenflow.engine.registry import BlockRegistry


class Sample(BaseBlock):
    outputs = ["out"]
    params = {
        "field": Param("Field to read", field_reference=True),
        "template": Param("Prompt", format="jinja"),
        "mode": Param("How to cut", title="Cut mode"),
    }

    def __init__(
        self,
        field: str,
        template: str = "{{ x }}",
        mode: Literal["chars", "words"] = "words",
        count: int = 3,
        ratio: float | None = None,
        enabled: bool = True,
        tags: list[str] | None = None,
        fields: list[str] = ["a"],  # noqa: B006 - a default shown in the schema
        mapping: dict[str, Any] | None = None,
        anything: Any = None,
    ) -> None:
        self.field = field

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"out": 1}


def test_schema_from_typed_init() -> None:
    schema = config_schema(Sample)
    props = schema["properties"]
    assert schema["type"] == "object"
    assert schema["required"] == ["field"]
    assert list(props) == [
        "field", "template", "mode", "count", "ratio", "enabled", "tags", "fields", "mapping",
        "anything",
    ]  # fmt: skip
    assert props["field"] == {
        "type": "string",
        "title": "Field",
        "description": "Field to read",
        "x-field-reference": True,
    }
    assert props["template"] == {
        "type": "string",
        "title": "Template",
        "description": "Prompt",
        "default": "{{ x }}",
        "format": "jinja",
    }
    assert props["mode"] == {
        "enum": ["chars", "words"],
        "type": "string",
        "title": "Cut mode",
        "description": "How to cut",
        "default": "words",
    }
    assert props["count"] == {"type": "integer", "title": "Count", "default": 3}
    assert props["ratio"] == {"type": ["number", "null"], "title": "Ratio", "default": None}
    assert props["enabled"] == {"type": "boolean", "title": "Enabled", "default": True}
    assert props["tags"]["type"] == ["array", "null"]
    assert props["tags"]["items"] == {"type": "string"}
    assert "format" not in props["tags"]  # a list of strings has its own editor
    assert props["fields"]["default"] == ["a"]
    assert props["mapping"]["type"] == ["object", "null"]
    assert props["mapping"]["format"] == "json"
    assert "type" not in props["anything"]


def test_block_without_init_has_empty_schema() -> None:
    class Bare(BaseBlock):
        async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
            return {}

    assert config_schema(Bare) == {"type": "object", "properties": {}, "required": []}


def test_check_config_coerces_and_reports() -> None:
    clean, problems = check_config(Sample, {"field": "text", "count": "5", "ratio": 0.5})
    assert problems == []
    assert clean == {"field": "text", "count": 5, "ratio": 0.5}

    _, problems = check_config(
        Sample, {"count": "many", "mode": "lines", "tags": "a", "fild": "x", "enabled": [1]}
    )
    by_param = {(p, kind): msg for p, kind, msg in problems}
    assert ("field", "missing_config") in by_param
    assert ("count", "invalid_config") in by_param and "'many'" in by_param[
        "count", "invalid_config"
    ]
    assert "'chars' or 'words'" in by_param["mode", "invalid_config"]
    assert ("tags", "invalid_config") in by_param
    assert ("enabled", "invalid_config") in by_param
    assert by_param["fild", "invalid_config"] == "unknown config key 'fild'; did you mean 'field'?"


def test_null_means_default() -> None:
    clean, problems = check_config(Sample, {"field": "t", "count": None, "mode": None})
    assert problems == [] and clean == {"field": "t"}
    _, problems = check_config(Sample, {"field": None})
    assert problems == [("field", "missing_config", "'field' is required")]


def test_builtin_block_schemas(registry: BlockRegistry) -> None:
    described = {d["type"]: d for d in registry.describe()}
    llm = described["LLMBlock"]["config_schema"]
    assert llm["required"] == ["user_prompt"]
    assert llm["properties"]["user_prompt"]["format"] == "jinja"
    assert llm["properties"]["system_prompt"]["format"] == "jinja"
    assert llm["properties"]["temperature"]["type"] == ["number", "null"]
    assert llm["properties"]["output_field"]["default"] == "assistant"
    assert described["LLMBlock"]["outputs"] == ["assistant"]
    validator = described["ValidatorBlock"]["config_schema"]["properties"]
    assert validator["field"]["x-field-reference"] is True
    assert validator["forbidden_words"]["items"] == {"type": "string"}
    structured = described["StructuredGenerator"]["config_schema"]
    assert structured["properties"]["json_schema"]["format"] == "json"
    assert set(structured["required"]) == {"json_schema", "user_prompt"}
    json_validator = described["JSONValidatorBlock"]["config_schema"]["properties"]
    assert json_validator["field_name"]["x-field-reference"] is True
    assert json_validator["schema"]["format"] == "json"
    output = described["OutputBlock"]
    assert output["config_schema"]["properties"]["format_template"]["format"] == "jinja"
    assert output["description"] and output["documentation"].startswith("Format")
