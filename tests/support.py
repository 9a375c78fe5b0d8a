"""Helpers shared by several test folders (importable because tests/conftest.py's folder is on
sys.path in pytest's default import mode)."""

from __future__ import annotations

from typing import Any

# The keys of one exported line (DESIGN.md, "Export").
EXPORT_KEYS = frozenset(
    {"id", "job_id", "metadata", "status", "output", "accumulated_state", "created_at",
     "updated_at"}
)  # fmt: skip

# The exact block example of DESIGN.md.
UPPERCASE = """from typing import Any
from datagenflow import BaseBlock

class Uppercase(BaseBlock):
    name = "Uppercase"
    description = "Convert text to uppercase"
    inputs = ["text"]
    outputs = ["result"]

    def __init__(self, suffix: str = ""):
        self.suffix = suffix

    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"result": data["text"].upper() + self.suffix}
"""


async def cancel_once_done(manager: Any, job_id: int, at_least: int) -> dict[str, Any]:
    """Cancel a running job as soon as `at_least` records are done (waiting on its progress)."""
    live = manager.live(job_id)
    assert live is not None
    for _ in range(1000):
        if live.done >= at_least:
            break
        await live.wait_change(live.version, 0.05)
    view: dict[str, Any] = await manager.cancel(job_id)
    assert view["status"] == "cancelled"
    return view
