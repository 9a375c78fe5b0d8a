from __future__ import annotations

import json
from typing import Any, Literal

import jsonschema

from datagenflow.blocks.json_parsing import extract_json
from datagenflow.blocks.llm_calls import ENDPOINT_HELP, ChatBlock, resolved_endpoint
from datagenflow.engine.block import Param
from datagenflow.llm import LLMHTTPError

# Endpoints (base URLs) seen refusing `json_schema` and then answering `json_object`.
_NO_JSON_SCHEMA: set[str] = set()
_REFUSED = (400, 422)


class StructuredGenerator(ChatBlock):
    """Generate a JSON object that follows a JSON Schema.

    In `auto` mode it asks for `response_format` json_schema; an endpoint that refuses it
    (HTTP 400) is asked again with json_object and the schema in the prompt, and remembered.
    `json_schema` never falls back; `json_object` always sends the schema in the prompt. Fenced or
    prose-wrapped JSON is accepted. The parsed object goes to `generated` (or `output_field`).
    """

    name = "Structured Generator"
    description = "Generate a JSON object that follows a JSON Schema"
    category = "generators"
    inputs = ["*"]
    outputs = ["generated"]
    params = {
        "json_schema": Param("JSON Schema the generated object must follow"),
        "user_prompt": Param("The user message (Jinja2)", format="jinja"),
        "system_prompt": Param("Instructions sent as the system message (Jinja2)", format="jinja"),
        "model": Param("Model name; empty uses LLM_MODEL"),
        "temperature": Param("Sampling temperature (0 to 2)"),
        "max_tokens": Param("Upper bound on the reply's tokens"),
        "endpoint": Param(ENDPOINT_HELP),
        "output_field": Param("State field the parsed object is written to"),
        "mode": Param(
            "How the schema is sent: auto (json_schema, falling back to json_object), "
            "json_schema only, or json_object with the schema in the prompt"
        ),
    }

    def __init__(
        self,
        json_schema: dict[str, Any],
        user_prompt: str,
        system_prompt: str = "",
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        endpoint: str | None = None,
        output_field: str = "generated",
        mode: Literal["auto", "json_schema", "json_object"] = "auto",
    ) -> None:
        if json_schema.get("type", "object") != "object":
            raise ValueError("json_schema must describe an object ('type': 'object')")
        try:
            jsonschema.Draft202012Validator.check_schema(json_schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"json_schema is not a valid JSON Schema: {exc.message}") from None
        self.json_schema = json_schema
        self.mode = mode
        self._configure(
            user_prompt=user_prompt,
            system_prompt=system_prompt,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            endpoint=endpoint,
            output_field=output_field,
        )

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        messages = self._messages(data)
        key = resolved_endpoint(self.endpoint)
        content: str | None = None
        use_schema = self.mode == "json_schema" or (
            self.mode == "auto" and key not in _NO_JSON_SCHEMA
        )
        if use_schema:
            try:
                result = await self._chat(
                    messages,
                    {
                        "type": "json_schema",
                        "json_schema": {"name": "output", "schema": self.json_schema},
                    },
                )
                content = result.content
            except LLMHTTPError as exc:
                if exc.status not in _REFUSED or self.mode == "json_schema":
                    raise
        if content is None:
            hint = "Reply with one JSON object that follows this JSON Schema:\n" + json.dumps(
                self.json_schema
            )
            fallback = [{"role": "system", "content": hint}, *messages]
            result = await self._chat(fallback, {"type": "json_object"})
            # remembered only once json_object worked: a 400 for another reason (a wrong
            # model name, say) must not switch the endpoint to the fallback for good
            if self.mode == "auto":
                _NO_JSON_SCHEMA.add(key)
            content = result.content
        parsed = extract_json(content)
        if not isinstance(parsed, dict):
            raise ValueError(f"expected a JSON object, got {type(parsed).__name__}")
        return {self.output_field: parsed}
