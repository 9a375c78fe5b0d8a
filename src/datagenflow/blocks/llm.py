from __future__ import annotations

from typing import Any

from datagenflow.blocks._llm_common import build_messages, chat
from datagenflow.engine.block import BaseBlock, Param


class LLMBlock(BaseBlock):
    """Generate text with a chat model.

    Both prompts are Jinja2 templates over the accumulated state (seed metadata plus every
    upstream output), e.g. `Write a question about {{ topic }}`. The reply goes to `assistant`.
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
        "endpoint": Param("OpenAI-compatible base URL for this block; empty uses LLM_BASE_URL"),
    }

    def __init__(
        self,
        user_prompt: str,
        system_prompt: str = "",
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        endpoint: str | None = None,
    ) -> None:
        if temperature is not None and not 0 <= temperature <= 2:
            raise ValueError(f"temperature must be between 0 and 2, not {temperature}")
        if max_tokens is not None and max_tokens < 1:
            raise ValueError(f"max_tokens must be positive, not {max_tokens}")
        self.user_prompt = user_prompt
        self.system_prompt = system_prompt
        self.model = model or None
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.endpoint = endpoint or None

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        messages = build_messages(self.system_prompt, self.user_prompt, data)
        result = await chat(
            messages,
            model=self.model,
            endpoint=self.endpoint,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        return {"assistant": result.content}
