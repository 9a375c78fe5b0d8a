"""Typed `__init__` parameters become JSON Schema for the UI and a validator for configs."""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

from datagenflow.engine.block import BaseBlock, Param
from datagenflow.errors import did_you_mean

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_EMPTY = inspect.Parameter.empty


@dataclass
class ConfigParam:
    name: str
    annotation: Any
    default: Any
    required: bool
    param: Param
    adapter: TypeAdapter[Any]


def _is_optional(annotation: Any) -> tuple[bool, Any]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) < len(get_args(annotation)):
            inner = args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007
            return True, inner
    return False, annotation


def type_schema(annotation: Any) -> dict[str, Any]:
    """JSON Schema of one Python type hint (the subset blocks use)."""
    if annotation is Any or annotation is _EMPTY:
        return {}
    nullable, inner = _is_optional(annotation)
    schema = _non_null_schema(inner)
    if nullable and "type" in schema:
        base = schema["type"]
        schema["type"] = [*base, "null"] if isinstance(base, list) else [base, "null"]
    elif nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def _non_null_schema(annotation: Any) -> dict[str, Any]:
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}
    origin = get_origin(annotation)
    if origin is Literal:
        values = list(get_args(annotation))
        kinds = {_SCALARS.get(type(v), "string") for v in values}
        schema: dict[str, Any] = {"enum": values}
        if len(kinds) == 1:
            schema["type"] = kinds.pop()
        return schema
    if annotation in (list, tuple) or origin in (list, tuple):
        args = get_args(annotation)
        items = type_schema(args[0]) if args else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if annotation is dict or origin is dict:
        return {"type": "object"}
    if origin in (Union, types.UnionType):
        return {"anyOf": [type_schema(a) for a in get_args(annotation)]}
    return {}


_PARAMS: dict[type[BaseBlock], tuple[ConfigParam, ...]] = {}


def config_params(cls: type[BaseBlock]) -> tuple[ConfigParam, ...]:
    """The configurable parameters of a block class, in declaration order.

    Cached per class: building a TypeAdapter per parameter is the costly part, and every
    validation and every block listing asks again.
    """
    found = _PARAMS.get(cls)
    if found is None:
        found = _PARAMS[cls] = _read_params(cls)
    return found


def _read_params(cls: type[BaseBlock]) -> tuple[ConfigParam, ...]:
    init = cls.__init__
    if init is object.__init__:
        return ()
    signature = inspect.signature(init)
    try:
        hints = typing.get_type_hints(init)
    except Exception:  # unresolvable annotations: fall back to untyped
        hints = {}
    found: list[ConfigParam] = []
    for name, parameter in signature.parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(name, Any)
        found.append(
            ConfigParam(
                name=name,
                annotation=annotation,
                default=parameter.default,
                required=parameter.default is _EMPTY,
                param=cls.params.get(name, Param()),
                adapter=TypeAdapter(annotation),
            )
        )
    return tuple(found)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def config_schema(cls: type[BaseBlock]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for item in config_params(cls):
        prop = type_schema(item.annotation)
        prop["title"] = item.param.title or item.name.replace("_", " ").capitalize()
        if item.param.help:
            prop["description"] = item.param.help
        if not item.required:
            prop["default"] = _jsonable(item.default)
        else:
            required.append(item.name)
        if item.param.field_reference:
            prop["x-field-reference"] = True
        fmt = item.param.format
        if fmt is None and _wants_json_editor(prop):
            fmt = "json"
        if fmt:
            prop["format"] = fmt
        properties[item.name] = prop
    return {"type": "object", "properties": properties, "required": required}


def _wants_json_editor(prop: dict[str, Any]) -> bool:
    kinds = prop.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "object" in kinds:
        return True
    if "array" in kinds:
        items = prop.get("items", {})
        return not (isinstance(items, dict) and items.get("type") == "string")
    return False


def check_config(
    cls: type[BaseBlock], config: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Validate a config against the block's parameters.

    Returns the coerced config and a list of (param, kind, message); kind is
    `missing_config` or `invalid_config`.
    """
    params = config_params(cls)
    known = {p.name: p for p in params}
    problems: list[tuple[str, str, str]] = []
    clean: dict[str, Any] = {}
    for key in config:
        if key not in known:
            hint = did_you_mean(key, known)
            problems.append((key, "invalid_config", f"unknown config key '{key}'{hint}"))
    for item in params:
        # null (a cleared form field) means "not given": the default applies, or it is missing
        if item.name not in config or config[item.name] is None:
            if item.required:
                problems.append((item.name, "missing_config", f"'{item.name}' is required"))
            continue
        try:
            clean[item.name] = item.adapter.validate_python(config[item.name])
        except ValidationError as exc:
            reason = "; ".join(e["msg"] for e in exc.errors()[:3])
            problems.append(
                (item.name, "invalid_config", f"'{item.name}' = {config[item.name]!r}: {reason}")
            )
    return clean, problems
