"""Pipeline validation: every problem at once, each with its block id; field availability."""

from __future__ import annotations

import re
from typing import Any

import pytest

from datagenflow.engine.definition import (
    DefinitionError,
    block_id_from_type,
    parse_definition,
    parse_definition_text,
)
from datagenflow.engine.pipeline import (
    PipelineInvalid,
    Problem,
    available_fields,
    build_pipeline,
    validate,
)
from datagenflow.engine.registry import BlockRegistry


def _def(blocks: list[dict[str, Any]], edges: list[list[str]] | None = None, **extra: Any) -> Any:
    data: dict[str, Any] = {"name": "p", "blocks": blocks, **extra}
    if edges is not None:
        data["edges"] = edges
    return parse_definition(data)


def llm(block_id: str, prompt: str = "{{ topic }}", **config: Any) -> dict[str, Any]:
    return {"id": block_id, "type": "LLMBlock", "config": {"user_prompt": prompt, **config}}


def check(block_id: str, field: str = "assistant") -> dict[str, Any]:
    return {"id": block_id, "type": "ValidatorBlock", "config": {"field": field}}


def out(block_id: str, template: str = "{{ assistant }}") -> dict[str, Any]:
    return {"id": block_id, "type": "OutputBlock", "config": {"format_template": template}}


def kinds(problems: list[Problem]) -> list[tuple[str, str | None]]:
    return [(p.kind, p.block_id) for p in problems]


def test_valid_chain(registry: BlockRegistry) -> None:
    definition = _def([llm("ask"), check("check"), out("out")])
    assert validate(definition, registry, ["topic"]) == []
    pipeline = build_pipeline(definition, registry, ["topic"])
    assert pipeline.is_chain and pipeline.order == ["ask", "check", "out"]


def test_every_kind_at_once(registry: BlockRegistry) -> None:
    definition = _def(
        [
            llm("root"),
            {"id": "typo", "type": "LLMBlok", "config": {"user_prompt": "x"}},
            {"id": "noprompt", "type": "LLMBlock", "config": {}},
            llm("hot", temperature="hot"),
            {"id": "extra", "type": "ValidatorBlock", "config": {"min_lenght": 3}},
            out("badtmpl", "{{ assistant "),
            llm("reader", "{{ nothing_here }}", output_field="reader_out"),
            check("dup"),
            out("dup", "{{ topic }}"),
            llm("left", output_field="same"),
            llm("right", output_field="same"),
            out("far", "{{ reader_out }}"),
            {"id": "lonely", "type": "JSONValidatorBlock", "config": {"field_name": "topic"}},
            {
                "id": "cyc_a",
                "type": "LLMBlock",
                "config": {"user_prompt": "a", "output_field": "ca"},
            },
            {
                "id": "cyc_b",
                "type": "LLMBlock",
                "config": {"user_prompt": "b", "output_field": "cb"},
            },
        ],
        [
            ["root", "typo"],
            ["root", "noprompt"],
            ["root", "hot"],
            ["root", "extra"],
            ["root", "badtmpl"],
            ["root", "reader"],
            ["root", "dup"],
            ["root", "left"],
            ["root", "right"],
            ["left", "far"],
            ["cyc_a", "cyc_b"],
            ["cyc_b", "cyc_a"],
            ["root", "ghost"],
        ],
    )
    problems = validate(definition, registry, ["topic"])
    found = set(kinds(problems))
    expected = {
        ("unknown_type", "typo"),
        ("missing_config", "noprompt"),
        ("invalid_config", "hot"),
        ("invalid_config", "extra"),
        ("template", "badtmpl"),
        ("field_reference", "reader"),
        ("duplicate_id", "dup"),
        ("output_conflict", "right"),
        ("field_reference", "far"),
        ("unconnected", "lonely"),
        ("cycle", "cyc_a"),
        ("unknown_edge", "root"),
    }
    assert expected <= found, expected - found
    assert all(p.block_id for p in problems)
    by_kind = {(p.kind, p.block_id): p for p in problems}
    assert "did you mean 'LLMBlock'" in by_kind["unknown_type", "typo"].message
    assert "'reader_out' is produced by block 'reader'" in by_kind["field_reference", "far"].message
    # the same through build_pipeline: one exception listing them all
    with pytest.raises(PipelineInvalid) as info:
        build_pipeline(definition, registry, ["topic"])
    assert [p.to_dict() for p in info.value.problems] == info.value.detail["problems"]
    assert len(info.value.problems) == len(problems)
    assert f"({len(problems)} problems)" in info.value.message


def test_unknown_type_did_you_mean(registry: BlockRegistry) -> None:
    problems = validate(_def([{"id": "gen", "type": "LLMBlok"}]), registry)
    assert problems == [
        Problem("unknown_type", "unknown block 'LLMBlok'; did you mean 'LLMBlock'?", "gen")
    ]
    problems = validate(_def([{"id": "gen", "type": "llmblock"}]), registry)
    assert "did you mean 'LLMBlock'" in problems[0].message


def test_missing_config(registry: BlockRegistry) -> None:
    problems = validate(_def([{"id": "ask", "type": "LLMBlock"}]), registry)
    assert problems == [
        Problem("missing_config", "'user_prompt' is required", "ask", "user_prompt")
    ]


@pytest.mark.parametrize(
    ("config", "field", "words"),
    [
        ({"temperature": "hot"}, "temperature", "'hot'"),
        ({"max_tokens": 1.5}, "max_tokens", "1.5"),
        ({"model": ["a"]}, "model", "valid string"),
        ({"temperature": 3}, None, "temperature must be between 0 and 2"),
        ({"max_tokens": 0}, None, "max_tokens must be positive"),
        ({"output_field": "not a name"}, None, "output_field"),
        ({"temprature": 0.5}, "temprature", "did you mean 'temperature'"),
    ],
)
def test_ill_typed_config(
    registry: BlockRegistry, config: dict[str, Any], field: str | None, words: str
) -> None:
    problems = validate(_def([llm("ask", **config)]), registry)
    assert len(problems) == 1, problems
    assert problems[0].kind == "invalid_config"
    assert problems[0].block_id == "ask"
    assert problems[0].field == field
    assert words in problems[0].message


def test_invalid_regex_rejected_at_config_time(registry: BlockRegistry) -> None:
    definition = _def(
        [{"id": "v", "type": "ValidatorBlock", "config": {"patterns": ["ok", "(unclosed"]}}]
    )
    problems = validate(definition, registry)
    assert kinds(problems) == [("invalid_config", "v")]
    assert "'(unclosed' is not a valid regex" in problems[0].message


def test_cycle(registry: BlockRegistry) -> None:
    definition = _def(
        [llm("a", output_field="x"), out("b", "{{ x }}"), check("c", "output")],
        [["a", "b"], ["b", "c"], ["c", "a"]],
    )
    problems = validate(definition, registry)
    assert kinds(problems) == [("cycle", "a")]
    assert "a -> b -> c -> a" in problems[0].message


def test_cycle_of_same_type_blocks_reports_only_the_cycle(registry: BlockRegistry) -> None:
    definition = _def([llm("a"), llm("b", "{{ assistant }}")], [["a", "b"], ["b", "a"]])
    assert kinds(validate(definition, registry, ["topic"])) == [("cycle", "a")]


def test_self_loop(registry: BlockRegistry) -> None:
    definition = _def([llm("a"), out("b")], [["a", "b"], ["b", "b"]])
    assert kinds(validate(definition, registry)) == [("cycle", "b")]


def test_unconnected(registry: BlockRegistry) -> None:
    definition = _def([llm("a"), out("b"), check("c")], [["a", "b"]])
    problems = validate(definition, registry)
    assert kinds(problems) == [("unconnected", "c")]


def test_template_that_does_not_parse(registry: BlockRegistry) -> None:
    problems = validate(_def([llm("a", "Hello {{ topic ")]), registry, ["topic"])
    assert kinds(problems) == [("template", "a")]
    assert problems[0].field == "user_prompt"
    assert "does not parse" in problems[0].message


def test_field_reference_nothing_provides(registry: BlockRegistry) -> None:
    definition = _def([llm("a", "{{ topc }}"), check("v", "asistant")])
    problems = validate(definition, registry, ["topic"])
    assert kinds(problems) == [("field_reference", "a"), ("field_reference", "v")]
    assert "no upstream block or seed provides 'topc'; did you mean 'topic'?" in problems[0].message
    assert problems[0].field == "user_prompt"
    assert problems[1].field == "field"
    assert "'asistant'; did you mean 'assistant'?" in problems[1].message
    assert "(available: assistant, topic)" in problems[1].message


def test_seed_fields_from_definition(registry: BlockRegistry) -> None:
    definition = _def([llm("a", "{{ topc }}")], seed_fields=["topic"])
    assert kinds(validate(definition, registry)) == [("field_reference", "a")]
    # explicit seed fields win over the definition's
    assert validate(definition, registry, ["topc"]) == []


def test_unknown_seed_fields_skip_the_check(registry: BlockRegistry) -> None:
    assert validate(_def([llm("a", "{{ anything }}")]), registry) == []


def test_reference_to_block_not_upstream(registry: BlockRegistry) -> None:
    definition = _def(
        [llm("root"), llm("q", output_field="question"), out("side", "{{ question }}")],
        [["root", "q"], ["root", "side"]],
    )
    problems = validate(definition, registry)  # even without seed fields
    assert kinds(problems) == [("field_reference", "side")]
    assert "'question' is produced by block 'q', which is not upstream" in problems[0].message
    # downstream is not upstream either
    problems = validate(_def([out("first", "{{ assistant }}"), llm("later")]), registry)
    assert kinds(problems) == [("field_reference", "first")]


def test_duplicate_ids(registry: BlockRegistry) -> None:
    problems = validate(_def([llm("a"), out("a")]), registry)
    assert ("duplicate_id", "a") in kinds(problems)


def test_output_conflict_between_parallel_branches(registry: BlockRegistry) -> None:
    definition = _def(
        [llm("root"), check("left"), check("right"), out("join", "{{ is_valid }}")],
        [["root", "left"], ["root", "right"], ["left", "join"], ["right", "join"]],
    )
    problems = validate(definition, registry)
    assert kinds(problems) == [("output_conflict", "right"), ("output_conflict", "right")]
    assert "'left' and 'right'" in problems[0].message and "'is_valid'" in problems[0].message
    # one after the other is fine: a later block may overwrite an earlier one's key
    chained = _def([llm("root"), check("left"), check("right")])
    assert validate(chained, registry) == []


def test_unknown_edge_endpoints(registry: BlockRegistry) -> None:
    definition = _def(
        [llm("ask"), out("out")], [["ask", "out"], ["ask", "outt"], ["nobody", "out"]]
    )
    problems = validate(definition, registry)
    assert kinds(problems) == [("unknown_edge", "ask"), ("unknown_edge", "out")]
    assert "unknown block 'outt'; did you mean 'out'?" in problems[0].message
    assert "'nobody'" in problems[1].message


def test_empty_pipeline(registry: BlockRegistry) -> None:
    assert kinds(validate(_def([]), registry)) == [("empty", None)]


def test_unknown_type_does_not_cascade(registry: BlockRegistry) -> None:
    definition = _def([{"id": "gen", "type": "Mystery"}, out("out", "{{ whatever }}")])
    assert kinds(validate(definition, registry, ["topic"])) == [("unknown_type", "gen")]


def test_ids_derived_from_types(registry: BlockRegistry) -> None:
    definition = parse_definition(
        {
            "name": "p",
            "blocks": [
                {"type": "LLMBlock", "config": {"user_prompt": "x"}},
                {"type": "LLMBlock", "config": {"user_prompt": "{{ assistant }}"}},
                {"id": "llm_block_2x", "type": "OutputBlock", "config": {"format_template": "y"}},
            ],
        }
    )
    assert definition.ids() == ["llm_block", "llm_block_2", "llm_block_2x"]
    assert definition.edge_list() == [
        ("llm_block", "llm_block_2"),
        ("llm_block_2", "llm_block_2x"),
    ]
    assert validate(definition, registry) == []


@pytest.mark.parametrize(
    ("type_name", "block_id"),
    [
        ("LLMBlock", "llm_block"),
        ("JSONValidatorBlock", "json_validator_block"),
        ("StructuredGenerator", "structured_generator"),
        ("Uppercase", "uppercase"),
        ("my.Custom-Block2X", "my_custom_block2_x"),
        ("___", "block"),
    ],
)
def test_derived_ids_match_the_editors(type_name: str, block_id: str) -> None:
    assert block_id_from_type(type_name) == block_id


def test_available_fields_for_branched_dag(registry: BlockRegistry) -> None:
    definition = _def(
        [
            llm("root"),
            llm("left", "{{ assistant }}", output_field="a"),
            llm("right", "{{ assistant }}", output_field="b"),
            out("join", "{{ a }} {{ b }}"),
            check("side", "b"),
        ],
        [
            ["root", "left"],
            ["root", "right"],
            ["left", "join"],
            ["right", "join"],
            ["right", "side"],
        ],
    )
    assert validate(definition, registry, ["topic", "level"]) == []
    fields = available_fields(definition, registry, ["topic", "level"])
    assert fields == {
        "root": {"available": ["topic", "level"], "outputs": ["assistant"]},
        "left": {"available": ["topic", "level", "assistant"], "outputs": ["a"]},
        "right": {"available": ["topic", "level", "assistant"], "outputs": ["b"]},
        "join": {"available": ["topic", "level", "assistant", "a", "b"], "outputs": ["output"]},
        "side": {
            "available": ["topic", "level", "assistant", "b"],
            "outputs": ["is_valid", "validation_errors"],
        },
    }
    pipeline = build_pipeline(definition, registry, ["topic", "level"])
    assert not pipeline.is_chain
    assert pipeline.nodes["join"].ancestors == ["root", "left", "right"]


def test_available_fields_of_an_invalid_pipeline(registry: BlockRegistry) -> None:
    definition = _def([llm("a"), {"id": "b", "type": "Nope"}, out("c")])
    fields = available_fields(definition, registry, ["topic"])
    assert fields["c"]["available"] == ["topic", "assistant"]
    assert fields["b"]["outputs"] == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([1, 2], "must be a mapping"),
        ({"name": "p", "blocks": 5}, "blocks: Input should be a valid list"),
        ({"name": "p", "blocks": [{"id": "a"}]}, "blocks[0] (id 'a').type: Field required"),
        ({"name": "p", "blocks": [{"type": "X", "colour": 1}]}, "blocks[0].colour"),
        ({"name": "p", "blocks": [{"id": "1 bad", "type": "X"}]}, "must start with a letter"),
        ({"name": "p", "blocks": [], "edges": [["a", "b", "c"]]}, "edges[0]"),
        ({"name": "p", "blocks": [{"type": "X", "config": "a"}]}, "config"),
    ],
)
def test_definition_shape_errors(data: Any, words: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_definition(data, "file.yaml")
    assert words in info.value.message
    assert info.value.message.startswith("file.yaml")


def test_yaml_errors_name_line() -> None:
    with pytest.raises(DefinitionError, match=r"p.yaml is not valid YAML or JSON at line 3, col"):
        parse_definition_text("name: p\nblocks:\n\t- id: a\n", "p.yaml")


BOMB = """
a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
name: bomb
blocks: [{type: OutputBlock, config: {format_template: x, extra: *g}}]
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: deep\nblocks: " + "[" * 5000 + "]" * 5000, "nested more than 100 levels deep"),
        ('{"name": "deep", "blocks": ' + "[" * 150 + "]" * 150 + "}", "nested more than 100"),
        ("name: cycle\nblocks: &b [{type: OutputBlock, config: {x: *b}}]", "nested more than 100"),
        (BOMB, "holds 23,456,795 values once YAML aliases are expanded (at most 1,000,000)"),
    ],
    ids=["parser-limit", "over-the-cap", "alias-cycle", "alias-bomb"],
)
def test_huge_or_deep_definitions_refused(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(message)):
        parse_definition_text(text, "p.yaml")


def test_yaml_aliases_within_the_caps_are_fine() -> None:
    text = "name: shared\nblocks:\n- {id: a, type: OutputBlock, config: &c {format_template: x}}\n"
    text += "- {id: b, type: OutputBlock, config: *c}\n"
    definition = parse_definition_text(text, "p.yaml")
    assert [b.config for b in definition.blocks] == [{"format_template": "x"}] * 2
