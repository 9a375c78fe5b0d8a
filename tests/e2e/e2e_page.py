"""Small page helpers shared by the browser tests."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect


def tid(testid: str) -> str:
    return f'[data-testid="{testid}"]'


def node(page: Page, block_id: str) -> Locator:
    return page.locator(tid(f"node-{block_id}"))


def chips(locator: Locator) -> list[str]:
    return [
        c for c in locator.locator(".chip").evaluate_all("els => els.map(e => e.dataset.field)")
    ]


def drop_block(page: Page, block_type: str, dx: float, dy: float) -> None:
    """HTML5 drag from the palette onto the canvas, at (dx, dy) from the canvas centre."""
    canvas = page.locator(tid("canvas"))
    box = canvas.bounding_box()
    assert box is not None
    page.locator(tid(f"palette-item-{block_type}")).drag_to(
        canvas, target_position={"x": box["width"] / 2 + dx, "y": box["height"] / 2 + dy}
    )


def connect(page: Page, source: str, target: str) -> None:
    """Drags from a node's bottom handle to another's top one (`start`, `end`: the terminals)."""
    page.locator(tid(f"handle-out-{source}")).drag_to(page.locator(tid(f"handle-in-{target}")))


def type_in_code_editor(page: Page, testid: str, text: str, replace: bool = True) -> None:
    """Types into a CodeMirror editor like a person (click, select all, type)."""
    content = page.locator(f"{tid(testid)} .cm-content")
    content.click()
    if replace:
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
    page.keyboard.type(text)


def code_editor_text(page: Page, testid: str) -> str:
    return str(page.locator(f"{tid(testid)} .cm-content").inner_text())


def expect_no_badge(locator: Locator, badge: str) -> None:
    expect(locator.locator(tid(badge))).to_have_count(0)


def api_json(response: Any) -> Any:
    assert response.status_code < 400, response.text
    return response.json()
