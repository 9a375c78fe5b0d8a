"""Finds blocks the way any plugin is found: entry points and the user blocks folder."""

from __future__ import annotations

import builtins
import importlib.util
import inspect
import logging
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from datagenflow.engine.block import BaseBlock
from datagenflow.engine.config_schema import config_schema
from datagenflow.errors import InvalidInputError, did_you_mean

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "datagenflow.blocks"
_CORE_DISTRIBUTION = "datagenflow"


class UnknownBlockError(InvalidInputError):
    pass


@dataclass(frozen=True)
class BlockLoadError:
    source: str
    error: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "error": self.error}


@dataclass(frozen=True)
class BlockInfo:
    type: str
    cls: builtins.type[BaseBlock]
    source: str
    origin: str

    def describe(self) -> dict[str, Any]:
        doc = inspect.getdoc(self.cls) or ""
        return {
            "type": self.type,
            "name": self.cls.name or self.type,
            "description": self.cls.description or doc.split("\n\n")[0],
            "documentation": doc,
            "category": self.cls.category,
            "inputs": list(self.cls.inputs),
            "outputs": list(self.cls.outputs),
            "source": self.source,
            "config_schema": config_schema(self.cls),
        }


@dataclass
class BlockRegistry:
    blocks: dict[str, BlockInfo] = field(default_factory=dict)
    errors: list[BlockLoadError] = field(default_factory=list)

    def register(self, cls: type[BaseBlock], source: str, origin: str) -> None:
        type_name = cls.__name__
        existing = self.blocks.get(type_name)
        if existing is not None and existing.cls is not cls:
            self._error(
                origin,
                f"duplicate block type '{type_name}': already defined by {existing.origin}",
            )
            return
        try:  # a configuration the registry cannot describe would break every block listing
            config_schema(cls)
        except Exception as exc:
            self._error(origin, f"block '{type_name}' has an unusable __init__: {exc}")
            return
        self.blocks[type_name] = BlockInfo(type_name, cls, source, origin)

    def _error(self, source: str, message: str) -> None:
        log.error("block discovery: %s: %s", source, message)
        self.errors.append(BlockLoadError(source, message))

    def get(self, type_name: str) -> type[BaseBlock]:
        info = self.blocks.get(type_name)
        if info is None:
            hint = did_you_mean(type_name, self.blocks)
            raise UnknownBlockError(f"unknown block '{type_name}'{hint}", {"type": type_name})
        return info.cls

    def __contains__(self, type_name: object) -> bool:
        return type_name in self.blocks

    def describe(self) -> list[dict[str, Any]]:
        return [self.blocks[name].describe() for name in sorted(self.blocks)]

    def load_entry_points(self) -> None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist is not None else ""
            source = "builtin" if dist == _CORE_DISTRIBUTION else "entrypoint"
            try:
                obj = ep.load()
            except Exception as exc:
                self._error(f"entry point {ep.value}", _describe_exception(exc))
                continue
            if not (inspect.isclass(obj) and issubclass(obj, BaseBlock)):
                self._error(f"entry point {ep.value}", "is not a BaseBlock subclass")
                continue
            self.register(obj, source, ep.value)

    def load_folder(self, folder: Path) -> None:
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module_name = f"datagenflow_user_blocks.{path.stem}"
            try:
                spec = importlib.util.spec_from_file_location(module_name, path)
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load {path}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
            except BaseException as exc:  # a user file may raise anything, even SystemExit
                sys.modules.pop(module_name, None)
                self._error(str(path), _describe_exception(exc))
                continue
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(obj, BaseBlock)
                    and obj is not BaseBlock
                    and obj.__module__ == module_name
                ):
                    self.register(obj, "user", str(path))


def _describe_exception(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (line {last.lineno})"
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno})"
        return f"SyntaxError: {exc.msg}{where}"
    return f"{type(exc).__name__}: {exc}{where}"


def discover(user_blocks: Path | None = None, *, entry_points_too: bool = True) -> BlockRegistry:
    registry = BlockRegistry()
    if entry_points_too:
        registry.load_entry_points()
    if user_blocks is not None:
        registry.load_folder(user_blocks)
    return registry
