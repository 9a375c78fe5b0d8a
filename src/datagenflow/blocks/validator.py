from __future__ import annotations

import re
from typing import Any

from datagenflow.blocks._fields import as_text, read_field
from datagenflow.engine.block import BaseBlock, Param


def _compile(patterns: list[str], label: str, flags: int) -> list[re.Pattern[str]]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, flags))
        except re.error as exc:
            raise ValueError(f"{label} {pattern!r} is not a valid regex: {exc}") from None
    return compiled


class ValidatorBlock(BaseBlock):
    """Check a text field: length bounds, patterns that must match, forbidden patterns and words.

    Never fails the record: it writes `is_valid` and the list of `validation_errors`, so a later
    block or the reviewer decides what to do.
    """

    name = "Text Validator"
    description = "Check length, required patterns and forbidden words of a text field"
    category = "validators"
    inputs = ["*"]
    outputs = ["is_valid", "validation_errors"]
    params = {
        "field": Param("Field of the state to check", field_reference=True),
        "min_length": Param("Minimum number of characters"),
        "max_length": Param("Maximum number of characters"),
        "patterns": Param("Regular expressions that must all match somewhere in the text"),
        "forbidden_patterns": Param("Regular expressions that must not match"),
        "forbidden_words": Param("Words that must not appear (whole words)"),
        "case_sensitive": Param("Match patterns and words with case"),
    }

    def __init__(
        self,
        field: str = "assistant",
        min_length: int | None = None,
        max_length: int | None = None,
        patterns: list[str] | None = None,
        forbidden_patterns: list[str] | None = None,
        forbidden_words: list[str] | None = None,
        case_sensitive: bool = False,
    ) -> None:
        if min_length is not None and max_length is not None and min_length > max_length:
            raise ValueError(f"min_length {min_length} is greater than max_length {max_length}")
        flags = 0 if case_sensitive else re.IGNORECASE
        self.field = field
        self.min_length = min_length
        self.max_length = max_length
        self.patterns = list(patterns or [])
        self.forbidden_patterns = list(forbidden_patterns or [])
        self.forbidden_words = list(forbidden_words or [])
        self.case_sensitive = case_sensitive
        self._patterns = _compile(self.patterns, "pattern", flags)
        self._forbidden = _compile(self.forbidden_patterns, "forbidden pattern", flags)
        self._words = [
            # whole words, also for words that start or end with a non-word character ("C++")
            (word, re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", flags))
            for word in self.forbidden_words
        ]

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        text = as_text(read_field(data, self.field))
        errors: list[str] = []
        if self.min_length is not None and len(text) < self.min_length:
            errors.append(f"length {len(text)} is below the minimum {self.min_length}")
        if self.max_length is not None and len(text) > self.max_length:
            errors.append(f"length {len(text)} is above the maximum {self.max_length}")
        for pattern in self._patterns:
            if not pattern.search(text):
                errors.append(f"pattern {pattern.pattern!r} does not match")
        for pattern in self._forbidden:
            if pattern.search(text):
                errors.append(f"forbidden pattern {pattern.pattern!r} matches")
        for word, regex in self._words:
            if regex.search(text):
                errors.append(f"forbidden word {word!r} appears")
        return {"is_valid": not errors, "validation_errors": errors}
