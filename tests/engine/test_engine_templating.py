"""Jinja2 templating: sandbox only, strict undefined variables, the filters pipelines use."""

from __future__ import annotations

import pytest

from datagenflow.engine.definition import parse_definition
from datagenflow.engine.pipeline import validate
from datagenflow.engine.registry import BlockRegistry
from datagenflow.engine.templating import (
    TemplateError,
    check_template,
    render,
    template_variables,
)

ESCAPES = [
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ '{0.__class__}'.format(topic) }}",
    "{{ topic.__class__ }}",
    "{% if ''.__class__ %}x{% endif %}",
    "{{ (topic|attr('__class__')) }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_refuses_escapes(source: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(source, {"topic": "python"})
    assert "sandbox" in info.value.message or "unsafe" in info.value.message


@pytest.mark.parametrize(
    "source",
    ["{{ 'x' * 100000000 }}", "{{ [0] * 100000000 }}", "{{ 2 ** 100000 }}", "{{ range(10**9) }}"],
)
def test_resource_exhaustion_refused(source: str) -> None:
    with pytest.raises(TemplateError):
        render(source, {})


def test_small_arithmetic_still_works() -> None:
    assert (
        render("{{ 2 ** 10 }} {{ 'ab' * 3 }} {{ 3 * 4 }} {{ 2.5 ** 2 }}", {})
        == "1024 ababab 12 6.25"
    )


def test_undefined_variable_names_available_fields() -> None:
    with pytest.raises(TemplateError) as info:
        render("Write about {{ topc }}", {"topic": "x", "level": "y"})
    message = info.value.message
    assert "'topc' is undefined" in message
    assert "available fields: level, topic" in message
    assert info.value.detail["available"] == ["level", "topic"]


def test_undefined_in_condition_is_an_error_too() -> None:
    with pytest.raises(TemplateError, match="'missing' is undefined"):
        render("{% if missing %}yes{% endif %}", {"topic": "x"})


def test_filters_and_conditionals() -> None:
    state = {"text": "one two three four five six", "obj": {"a": "é", "n": [1, 2]}, "ok": True}
    assert render("{{ text | truncate(12) }}", state) == "one two..."
    assert render("{{ obj | tojson }}", state) == '{"a": "é", "n": [1, 2]}'
    assert render("{{ '<b>' | tojson }}", {}) == '"<b>"'  # no HTML escaping in data output
    assert render("{% if ok %}valid{% else %}invalid{% endif %}", state) == "valid"
    assert render("{% for n in obj.n %}[{{ n }}]{% endfor %}", state) == "[1][2]"
    assert render("{{ obj.a | upper }} {{ text.split() | length }}", state) == "É 6"
    assert render("<{{ text[:3] }}>", state) == "<one>"  # no autoescape


def test_runtime_errors_become_template_errors() -> None:
    with pytest.raises(TemplateError, match="ZeroDivisionError"):
        render("{{ 1 / 0 }}", {})
    with pytest.raises(TemplateError, match="TypeError"):
        render("{{ n + 'a' }}", {"n": 1})


def test_syntax_errors_are_reported_with_line() -> None:
    error = check_template("line one\n{{ unclosed ")
    assert error is not None and "does not parse" in error and "line 2" in error
    assert check_template("{% if x %}no endif") is not None
    assert check_template("{{ fine }}") is None
    with pytest.raises(TemplateError, match="does not parse"):
        render("{% for %}", {})


def test_template_variables() -> None:
    source = (
        "{% set x = 1 %}{{ a.b }} {{ x }} {% for i in items %}{{ i }}{{ loop.index }}{% endfor %}"
    )
    assert template_variables(source) == {"a", "items"}
    assert template_variables("{{ broken") == set()


OPTIONAL = (
    "{{ topic }}{% if include_examples is defined and include_examples %} with examples{% endif %}"
    " at {{ level | default('beginner') }} level{% for t in tags | d([]) %} #{{ t }}{% endfor %}"
)


def test_guarded_names_are_optional(registry: BlockRegistry) -> None:
    assert template_variables(OPTIONAL) == {"topic"}
    assert render(OPTIONAL, {"topic": "owls"}) == "owls at beginner level"
    full = {"topic": "owls", "include_examples": True, "level": "expert", "tags": ["a"]}
    assert render(OPTIONAL, full) == "owls with examples at expert level #a"
    # a pipeline using them validates with only `topic` in the seeds; an unguarded read does not
    block = {"type": "OutputBlock", "config": {"format_template": OPTIONAL}}
    definition = parse_definition({"name": "p", "seed_fields": ["topic"], "blocks": [block]})
    assert validate(definition, registry) == []
    block["config"]["format_template"] = "{% if include_examples %}x{% endif %}{{ topic }}"
    definition = parse_definition({"name": "p", "seed_fields": ["topic"], "blocks": [block]})
    assert [p.message for p in validate(definition, registry)] == [
        "no upstream block or seed provides 'include_examples' (available: topic)"
    ]


def test_private_attribute_access_is_reported_before_any_run(registry: BlockRegistry) -> None:
    definition = parse_definition(
        {
            "name": "sneaky",
            "blocks": [
                {
                    "id": "out",
                    "type": "OutputBlock",
                    "config": {"format_template": "{{ topic }}\n{{ topic['__class__'] }}"},
                },
            ],
        }
    )
    problems = validate(definition, registry, ["topic"])
    assert [(p.kind, p.block_id, p.field) for p in problems] == [
        ("template", "out", "format_template")
    ]
    assert "'__class__' (line 2)" in problems[0].message
    assert check_template("{{ cycler.__init__.__globals__ }}") is not None
    assert check_template("{{ item.name }} {{ item['key'] }}") is None
