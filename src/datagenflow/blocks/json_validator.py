from __future__ import annotations

from typing import Any

import jsonschema

from datagenflow.blocks._fields import read_field
from datagenflow.blocks.json_parsing import extract_json
from datagenflow.engine.block import BaseBlock, Param


class JSONValidatorBlock(BaseBlock):
    """Parse JSON from a field and check it: required fields and an optional JSON Schema.

    Writes `valid`, the `parsed_json` (null when it does not parse) and `json_errors`. With
    `strict`, an invalid value fails the record instead, so it shows up among failed records.
    """

    name = "JSON Validator"
    description = "Parse JSON from a field; check required fields and an optional JSON Schema"
    category = "validators"
    inputs = ["*"]
    outputs = ["valid", "parsed_json", "json_errors"]
    params = {
        "field_name": Param("Field holding the JSON (text or object)", field_reference=True),
        "required_fields": Param("Top-level keys the object must have"),
        "schema": Param("JSON Schema the value must follow (optional)"),
        "strict": Param("Fail the record when the JSON is invalid"),
    }

    def __init__(
        self,
        field_name: str = "assistant",
        required_fields: list[str] | None = None,
        schema: dict[str, Any] | None = None,
        strict: bool = False,
    ) -> None:
        if schema:
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"schema is not a valid JSON Schema: {exc.message}") from None
        self.field_name = field_name
        self.required_fields = list(required_fields or [])
        self.schema = schema or None
        self.strict = strict
        self._validator = jsonschema.Draft202012Validator(schema) if schema else None

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        value = read_field(data, self.field_name)
        errors: list[str] = []
        parsed: Any = None
        try:
            parsed = extract_json(value)
        except ValueError as exc:
            errors.append(str(exc))
        if not errors:
            if self.required_fields:
                if not isinstance(parsed, dict):
                    errors.append(f"expected an object with fields, got {type(parsed).__name__}")
                else:
                    errors.extend(
                        f"required field '{name}' is missing"
                        for name in self.required_fields
                        if name not in parsed
                    )
            if self._validator is not None:
                found = self._validator.iter_errors(parsed)
                ordered = sorted(
                    found, key=lambda e: ([str(p) for p in e.absolute_path], e.message)
                )
                for error in ordered[:10]:
                    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
                    errors.append(f"{where}: {error.message}")
        if errors and self.strict:
            raise ValueError(f"invalid JSON in '{self.field_name}': " + "; ".join(errors))
        return {"valid": not errors, "parsed_json": parsed, "json_errors": errors}
