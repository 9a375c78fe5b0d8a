"""Block discovery: built-ins by entry point, the user blocks folder, errors never skipped."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from support import UPPERCASE

from datagenflow.engine.definition import parse_definition
from datagenflow.engine.executor import execute_record
from datagenflow.engine.pipeline import build_pipeline, validate
from datagenflow.engine.registry import UnknownBlockError, discover

BUILTINS = {
    "LLMBlock",
    "StructuredGenerator",
    "ValidatorBlock",
    "JSONValidatorBlock",
    "OutputBlock",
}


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "user_blocks"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_builtins_come_from_entry_points() -> None:
    registry = discover(None)
    assert registry.errors == []
    assert set(registry.blocks) >= BUILTINS
    for name in BUILTINS:
        assert registry.blocks[name].source == "builtin"


async def test_design_example_is_found_and_runs(tmp_path: Path) -> None:
    registry = discover(_folder(tmp_path, {"uppercase.py": UPPERCASE}))
    assert registry.errors == []
    info = registry.blocks["Uppercase"]
    assert info.source == "user"
    assert info.origin == str(tmp_path / "user_blocks" / "uppercase.py")
    described = {d["type"]: d for d in registry.describe()}["Uppercase"]
    assert described["name"] == "Uppercase"
    assert described["description"] == "Convert text to uppercase"
    assert described["inputs"] == ["text"] and described["outputs"] == ["result"]
    assert described["config_schema"] == {
        "type": "object",
        "properties": {"suffix": {"type": "string", "title": "Suffix", "default": ""}},
        "required": [],
    }
    definition = parse_definition(
        {"name": "shout", "blocks": [{"type": "Uppercase", "config": {"suffix": "!"}}]}
    )
    problems = validate(definition, registry, ["txt"])  # `inputs` are checked like references
    assert [(p.kind, p.block_id, p.field) for p in problems] == [
        ("field_reference", "uppercase", "inputs")
    ]
    assert "no upstream block or seed provides 'text'" in problems[0].message
    pipeline = build_pipeline(definition, registry, ["text"])
    result = await execute_record(pipeline, {"text": "hello"})
    assert result.status == "succeeded"
    assert result.outputs == {"result": "HELLO!"}


BROKEN = {
    "syntax.py": ("def broken(:\n    pass\n", "SyntaxError"),
    "imports.py": ("import datagenflow_no_such_module\n", "ModuleNotFoundError"),
    "raises.py": ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
    "exits.py": ("import sys\nsys.exit(3)\n", "SystemExit"),
}


@pytest.mark.parametrize("filename", sorted(BROKEN))
def test_broken_file_is_reported(
    tmp_path: Path, filename: str, caplog: pytest.LogCaptureFixture
) -> None:
    text, expected = BROKEN[filename]
    folder = _folder(tmp_path, {"uppercase.py": UPPERCASE, filename: text})
    with caplog.at_level(logging.ERROR):
        registry = discover(folder)
    assert "Uppercase" in registry  # the good file still loads
    assert len(registry.errors) == 1
    error = registry.errors[0]
    assert error.source == str(folder / filename)
    assert expected in error.error
    assert "(line " in error.error
    assert error.to_dict() == {"source": error.source, "error": error.error}
    assert str(folder / filename) in caplog.text  # logged too


def test_duplicate_type_name_is_an_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"a_upper.py": UPPERCASE, "b_upper.py": UPPERCASE})
    registry = discover(folder)
    assert len(registry.errors) == 1
    assert registry.errors[0].source == str(folder / "b_upper.py")
    assert "duplicate block type 'Uppercase'" in registry.errors[0].error
    assert str(folder / "a_upper.py") in registry.errors[0].error


def test_user_block_cannot_shadow_a_builtin(tmp_path: Path) -> None:
    shadow = UPPERCASE.replace("class Uppercase", "class LLMBlock")
    folder = _folder(tmp_path, {"llm.py": shadow})
    registry = discover(folder)
    assert registry.blocks["LLMBlock"].source == "builtin"
    assert "duplicate block type 'LLMBlock'" in registry.errors[0].error


def test_undescribable_init_is_reported(tmp_path: Path) -> None:
    text = (
        "from typing import Any\nfrom datagenflow import BaseBlock\n"
        "class Thing:\n    pass\n"
        "class Odd(BaseBlock):\n"
        "    def __init__(self, thing: Thing):\n        self.thing = thing\n"
        "    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:\n        return {}\n"
    )
    folder = _folder(tmp_path, {"odd.py": text, "uppercase.py": UPPERCASE})
    registry = discover(folder)
    assert "Odd" not in registry and "Uppercase" in registry
    assert "Odd" in registry.errors[0].error and registry.errors[0].source.endswith("odd.py")
    registry.describe()  # the listing still works


def test_imported_and_private_classes_are_not_registered(tmp_path: Path) -> None:
    text = (
        "from datagenflow import BaseBlock\n"
        "from datagenflow.blocks.llm import LLMBlock\n"
        "class Mine(BaseBlock):\n    outputs = ['x']\n"
    )
    folder = _folder(tmp_path, {"mine.py": text, "_helper.py": "raise RuntimeError('no')\n"})
    registry = discover(folder)
    assert registry.errors == []
    assert registry.blocks["Mine"].source == "user"
    assert registry.blocks["LLMBlock"].source == "builtin"


def test_missing_folder_is_fine(tmp_path: Path) -> None:
    registry = discover(tmp_path / "nowhere")
    assert registry.errors == [] and "LLMBlock" in registry


def test_unknown_block_did_you_mean() -> None:
    registry = discover(None)
    with pytest.raises(UnknownBlockError, match="did you mean 'LLMBlock'"):
        registry.get("LLMBlok")
