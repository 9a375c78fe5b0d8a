"""The block contract: a class with typed `__init__` parameters and an async `execute`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

ParamFormat = Literal["jinja", "json", "multiline"]


@dataclass(frozen=True)
class Param:
    """Extra facts about one `__init__` parameter that its type hint cannot carry.

    Declared on the block class as `params = {"name": Param(...)}` so the UI can show help,
    offer the fields of the accumulated state for a field reference, and pick an editor.
    """

    help: str = ""
    field_reference: bool = False
    format: ParamFormat | None = None
    title: str | None = None


class BaseBlock:
    """Base of every block: subclass it, declare inputs/outputs, implement `execute`.

    `name` is the display name; the type name used in pipeline definitions is the class name.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    category: ClassVar[str] = "custom"
    inputs: ClassVar[list[str]] = []
    outputs: ClassVar[list[str]] = []
    params: ClassVar[dict[str, Param]] = {}

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement execute()")

    def templates(self) -> dict[str, str]:
        """Jinja templates this block renders, by parameter name, so validation can parse them.

        The default finds them from `params` declared with `format="jinja"`.
        """
        found: dict[str, str] = {}
        for key, param in type(self).params.items():
            value = getattr(self, key, None)
            if param.format == "jinja" and isinstance(value, str):
                found[key] = value
        return found

    def field_references(self) -> dict[str, list[str]]:
        """State fields this block's configuration names, by parameter name."""
        found: dict[str, list[str]] = {}
        for key, param in type(self).params.items():
            if not param.field_reference:
                continue
            value = getattr(self, key, None)
            if isinstance(value, str) and value:
                found[key] = [value]
            elif isinstance(value, list):
                found[key] = [v for v in value if isinstance(v, str) and v]
        return found

    def declared_outputs(self) -> list[str]:
        """Output keys of this configured instance (override when they depend on the config)."""
        return list(type(self).outputs)
