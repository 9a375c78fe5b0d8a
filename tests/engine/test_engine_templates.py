"""The bundled pipeline templates: valid against the installed blocks, with usable seeds."""

from __future__ import annotations

import json

import pytest

from datagenflow.engine.pipeline import build_pipeline, validate
from datagenflow.engine.registry import BlockRegistry
from datagenflow.engine.seeds import parse_seeds, seed_fields
from datagenflow.errors import NotFoundError
from datagenflow.templates import get_template, list_templates


def test_three_templates() -> None:
    assert [t.id for t in list_templates()] == [
        "json_generation",
        "qa_generation",
        "text_classification",
    ]


@pytest.mark.parametrize("template_id", [t.id for t in list_templates()])
def test_template_is_valid_with_its_seeds(registry: BlockRegistry, template_id: str) -> None:
    template = get_template(template_id)
    seeds = parse_seeds(json.dumps(template.example_seeds).encode(), "example.json")
    fields = seed_fields(seeds)
    assert set(fields) == set(template.definition.seed_fields or [])
    assert validate(template.definition, registry, fields) == []
    build_pipeline(template.definition, registry, fields)
    described = template.to_dict()
    assert described["id"] == template_id and described["definition"]["blocks"]
    json.dumps(described)


def test_unknown_template() -> None:
    with pytest.raises(NotFoundError, match="did you mean 'qa_generation'"):
        get_template("qa-generation")
