"""Jinja2 in its sandbox only: pipelines come from users, so templates must not reach Python."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from datagenflow.errors import InvalidInputError


class TemplateError(InvalidInputError):
    pass


def _tojson(value: Any, indent: int | None = None) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


_env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
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
    """The parse error of a template, or None when it parses."""
    try:
        compile_template(source)
    except TemplateError as exc:
        return exc.message
    return None


@lru_cache(maxsize=1024)
def _variables(source: str) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(_env.parse(source)))


def template_variables(source: str) -> set[str]:
    """Top-level names a template reads (empty when it does not parse)."""
    try:
        return set(_variables(source))
    except jinja2.TemplateSyntaxError:
        return set()


def render(source: str, state: dict[str, Any]) -> str:
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
