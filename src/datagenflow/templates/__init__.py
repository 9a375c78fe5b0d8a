"""Bundled pipeline templates: YAML definitions with example seeds, loadable by id."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from datagenflow.engine.definition import PipelineDefinition, parse_definition
from datagenflow.errors import NotFoundError, did_you_mean


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    description: str
    definition: PipelineDefinition
    example_seeds: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "definition": self.definition.model_dump(mode="json", exclude_none=True),
            "example_seeds": self.example_seeds,
        }


@lru_cache(maxsize=1)
def _load_all() -> dict[str, Template]:
    found: dict[str, Template] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        template_id = data.pop("id", entry.name.removesuffix(".yaml"))
        seeds = data.pop("example_seeds", [])
        definition = parse_definition(data, f"template {entry.name}")
        found[template_id] = Template(
            template_id, definition.name, definition.description, definition, seeds
        )
    return found


def list_templates() -> list[Template]:
    return list(_load_all().values())


def get_template(template_id: str) -> Template:
    templates = _load_all()
    if template_id not in templates:
        hint = did_you_mean(template_id, templates)
        known = ", ".join(templates)
        raise NotFoundError(
            f"unknown template '{template_id}'{hint} (templates: {known})",
            {"template_id": template_id},
        )
    return templates[template_id]
