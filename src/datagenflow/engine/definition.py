"""The one pipeline definition format, read from dicts, YAML or JSON, with readable errors."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from datagenflow.engine.nesting import MAX_DEPTH, nesting_problem
from datagenflow.errors import InvalidInputError

_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def block_id_from_type(type_name: str) -> str:
    """`LLMBlock` -> `llm_block`, `JSONValidatorBlock` -> `json_validator_block`: the ids the
    editor gives dropped blocks, so a file without ids and the editor agree."""
    slug = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", type_name)
    slug = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", slug)
    return re.sub(r"[^A-Za-z0-9]+", "_", slug).strip("_").lower() or "block"


class DefinitionError(InvalidInputError):
    pass


class BlockSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=100)
    type: str = Field(min_length=1, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str | None) -> str | None:
        if value is not None and not _ID_PATTERN.match(value):
            raise ValueError(
                f"block id {value!r} must start with a letter or '_' and hold only "
                "letters, digits, '_' and '-'"
            )
        return value


class PipelineDefinition(BaseModel):
    """A pipeline as users write it; `edges` absent means the blocks run as a chain."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Untitled pipeline", min_length=1, max_length=200)
    description: str = ""
    seed_fields: list[str] | None = None
    blocks: list[BlockSpec] = Field(default_factory=list)
    edges: list[tuple[str, str]] | None = None
    layout: dict[str, dict[str, float]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        problem = nesting_problem(data)
        if problem:
            raise ValueError(f"the definition {problem}")
        return data

    def with_ids(self) -> PipelineDefinition:
        """A copy where every block has an id, derived from its type when absent."""
        taken = {b.id for b in self.blocks if b.id}
        blocks: list[BlockSpec] = []
        for spec in self.blocks:
            if spec.id:
                blocks.append(spec)
                continue
            base = block_id_from_type(spec.type)
            if not base[0].isalpha():
                base = f"b_{base}"
            candidate, n = base, 2
            while candidate in taken:
                candidate, n = f"{base}_{n}", n + 1
            taken.add(candidate)
            blocks.append(spec.model_copy(update={"id": candidate}))
        return self.model_copy(update={"blocks": blocks})

    def ids(self) -> list[str]:
        return [b.id or "" for b in self.blocks]

    def edge_list(self) -> list[tuple[str, str]]:
        if self.edges is not None:
            return list(self.edges)
        ids = self.ids()
        return list(itertools.pairwise(ids))


def _format_location(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label = f"[{item}] (id '{node['id']}')"
            parts.append(label)
        else:
            parts.append(f".{item}" if parts else str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "pipeline"


def parse_definition(data: Any, source: str = "pipeline") -> PipelineDefinition:
    if not isinstance(data, dict):
        raise DefinitionError(
            f"{source}: a pipeline definition must be a mapping with 'name' and 'blocks', "
            f"not {type(data).__name__}"
        )
    try:
        return PipelineDefinition.model_validate(data).with_ids()
    except ValidationError as exc:
        problems = [
            f"{_format_location(tuple(e['loc']), data)}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()[:20]
        ]
        raise DefinitionError(
            f"{source} is not a valid pipeline definition: " + "; ".join(problems),
            {"problems": problems},
        ) from None


def _json_document(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            f"{source} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise DefinitionError(f"{source} is nested more than {MAX_DEPTH} levels deep") from None


def _yaml_document(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(f"{source} is not valid YAML or JSON{where}: {problem}") from None
    except RecursionError:
        raise DefinitionError(f"{source} is nested more than {MAX_DEPTH} levels deep") from None


def parse_definition_text(
    text: str, source: str = "pipeline", *, as_json: bool | None = None
) -> PipelineDefinition:
    """A definition from a file's text: JSON when `as_json` says so or, left out, when `source`
    ends in .json; else YAML (which reads most JSON too)."""
    if as_json is None:
        as_json = source.lower().endswith(".json")
    document = _json_document(text, source) if as_json else _yaml_document(text, source)
    return parse_definition(document, source)


def load_definition_file(path: Path) -> PipelineDefinition:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"pipeline file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"cannot read pipeline file {path}: {exc}") from None
    return parse_definition_text(text, str(path))


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # prompts and templates read best as blocks; PyYAML quotes them when a block cannot hold them
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def definition_yaml(definition: dict[str, Any]) -> str:
    """A stored definition as the YAML people write: keys in their order, prompts as blocks."""
    return yaml.dump(definition, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
