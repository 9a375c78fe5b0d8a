from __future__ import annotations

import json
from typing import Any

from datagenflow.engine.block import BaseBlock, Param
from datagenflow.engine.templating import render


class OutputBlock(BaseBlock):
    """Format the record's final output with a Jinja2 template over the accumulated state.

    What it writes to `output` is what reviewers see and what export puts in each line's
    `output`, e.g. `{"question": {{ assistant | tojson }}, "topic": {{ topic | tojson }}}`.
    """

    name = "Output Formatter"
    description = "Format the final output with a Jinja2 template"
    category = "formatters"
    inputs = ["*"]
    outputs = ["output"]
    params = {
        "format_template": Param("Jinja2 template producing the record's output", format="jinja"),
        "parse_json": Param("Parse the rendered text as JSON so the output is an object"),
    }

    def __init__(self, format_template: str, parse_json: bool = False) -> None:
        self.format_template = format_template
        self.parse_json = parse_json

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        text = render(self.format_template, data)
        if self.parse_json:
            try:
                return {"output": json.loads(text)}
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"rendered output is not JSON ({exc.msg} at column {exc.colno}): {text[:80]!r}"
                ) from None
        return {"output": text}
