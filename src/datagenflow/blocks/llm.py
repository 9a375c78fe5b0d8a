from __future__ import annotations

from typing import Any

from datagenflow.blocks.llm_calls import ENDPOINT_HELP, ChatBlock
from datagenflow.engine.block import Param


class LLMBlock(ChatBlock):
    """Generate text with a chat model.

    Both prompts are Jinja2 templates over the accumulated state (seed metadata plus every
    upstream output), e.g. `Write a question about {{ topic }}`. The reply goes to `assistant`
    (or to `output_field`, so two LLM blocks can run in parallel branches).
    """

    name = "LLM Generator"
    description = "Generate text with an LLM; prompts are Jinja2 templates over the state"
    category = "generators"
    inputs = ["*"]
    outputs = ["assistant"]
    params = {
        "system_prompt": Param("Instructions sent as the system message", format="jinja"),
        "user_prompt": Param("The user message, e.g. 'Summarise: {{ content }}'", format="jinja"),
        "model": Param("Model name; empty uses LLM_MODEL"),
        "temperature": Param("Sampling temperature (0 to 2); empty uses the server's default"),
        "max_tokens": Param("Upper bound on the reply's tokens"),
        "endpoint": Param(ENDPOINT_HELP),
        "output_field": Param("State field the reply is written to"),
    }

    def __init__(
        self,
        user_prompt: str,
        system_prompt: str = "",
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        endpoint: str | None = None,
        output_field: str = "assistant",
    ) -> None:
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
        result = await self._chat(self._messages(data))
        return {self.output_field: result.content}
