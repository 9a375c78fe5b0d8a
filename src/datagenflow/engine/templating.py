"""Jinja2 in its sandbox only: pipelines come from users, so templates must not reach Python."""

from __future__ import annotations

import json
import operator
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from datagenflow.errors import InvalidInputError

# Bounds on what one template may compute: `'x' * 10**10` or `9**9**9` would take the worker's
# memory or CPU, and the sandbox alone lets both through.
MAX_REPEAT_CHARS = 1_000_000
MAX_POWER_BITS = 4096


class TemplateError(InvalidInputError):
    pass


def _tojson(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else 1


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        if op == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and abs(left) > 1
                and right * abs(left).bit_length() > MAX_POWER_BITS
            ):
                raise SecurityError(f"{left} ** {right} is too large for a template")
            return operator.pow(left, right)
        for seq, count in ((left, right), (right, left)):
            if (
                isinstance(seq, str | bytes | list | tuple)
                and isinstance(count, int)
                and _size(seq) * count > MAX_REPEAT_CHARS
            ):
                raise SecurityError("repetition is too large for a template")
        return operator.mul(left, right)


_env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False)
_env.filters["tojson"] = _tojson


@lru_cache(maxsize=1024)
def compile_template(source: str) -> jinja2.Template:
    try:
        return _env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template does not parse: {exc.message} (line {exc.lineno})",
            {"line": exc.lineno, "template": source},
        ) from None


def check_template(source: str) -> str | None:
    """Why a template cannot work (a parse error, or an attribute the sandbox refuses), or None."""
    try:
        compile_template(source)
    except TemplateError as exc:
        return exc.message
    return _private_access(source)


def _private_access(source: str) -> str | None:
    """Found before a run: `{{ x.__class__ }}` parses, but the sandbox refuses it at render."""
    for node in _env.parse(source).find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value if isinstance(node.arg.value, str) else None
        if name and name.startswith("_"):
            return (
                f"template reads '{name}' (line {node.lineno}): names starting with '_' are "
                "refused by the sandbox"
            )
    return None


_OPTIONAL_FILTERS = frozenset({"default", "d"})
_OPTIONAL_TESTS = frozenset({"defined", "undefined"})


def _optional_names(ast: nodes.Template) -> set[str]:
    """Names the template guards (`x | default(...)`, `x is defined`): it works without them."""
    found: set[str] = set()
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        guards = _OPTIONAL_FILTERS if isinstance(node, nodes.Filter) else _OPTIONAL_TESTS
        if node.name in guards and isinstance(node.node, nodes.Name):
            found.add(node.node.name)
    return found


@lru_cache(maxsize=1024)
def _variables(source: str) -> frozenset[str]:
    ast = _env.parse(source)
    return frozenset(meta.find_undeclared_variables(ast) - _optional_names(ast))


def template_variables(source: str) -> set[str]:
    """Top-level names a template needs (empty when it does not parse); a name it guards with
    `| default(...)` or `is defined` anywhere is optional, so not listed."""
    try:
        return set(_variables(source))
    except jinja2.TemplateSyntaxError:
        return set()


def render(source: str, state: dict[str, Any]) -> str:
    """Render in the sandbox; every failure becomes a TemplateError that says what went wrong."""
    template = compile_template(source)
    try:
        return template.render(state)
    except SecurityError as exc:
        raise TemplateError(f"template refused by the sandbox: {exc}") from None
    except jinja2.UndefinedError as exc:
        available = ", ".join(sorted(state)) or "none"
        raise TemplateError(
            f"template error: {exc.message}; available fields: {available}",
            {"available": sorted(state)},
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template error: {exc}") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise TemplateError(f"template error: {type(exc).__name__}: {exc}") from None
