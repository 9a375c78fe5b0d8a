"""Small page helpers shared by the browser tests."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ZOOM_STEP = 1.2  # React Flow's zoomIn / zoomOut factor
MIN_ZOOM, MAX_ZOOM = 0.2, 2.0  # the canvas's limits


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
    """Types into a CodeMirror editor like a person (click, select all, type; or, with
    `replace=False`, type at the end of the text)."""
    content = page.locator(f"{tid(testid)} .cm-content")
    content.click()
    if replace:
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
    else:
        page.keyboard.press("Control+End")
    page.keyboard.type(text)


def code_editor_text(page: Page, testid: str) -> str:
    return str(page.locator(f"{tid(testid)} .cm-content").inner_text())


def expect_no_badge(locator: Locator, badge: str) -> None:
    expect(locator.locator(tid(badge))).to_have_count(0)


def api_json(response: Any) -> Any:
    assert response.status_code < 400, response.text
    return response.json()


def edge(page: Page, source: str, target: str) -> Locator:
    """An edge of the canvas, by the block ids it joins (`start`, `end`: the terminals)."""
    return page.locator(f'{tid("edge")}[data-source="{source}"][data-target="{target}"]')


def click_edge(page: Page, source: str, target: str) -> None:
    """Clicks the middle of an edge's drawn path (its bounding box's centre may be off the path)."""
    point = (
        edge(page, source, target)
        .locator("path.react-flow__edge-path")
        .evaluate(
            """path => {
                const mid = path.getPointAtLength(path.getTotalLength() / 2);
                const p = path.ownerSVGElement.createSVGPoint();
                p.x = mid.x;
                p.y = mid.y;
                const s = p.matrixTransform(path.getScreenCTM());
                return { x: s.x, y: s.y };
            }"""
        )
    )
    page.mouse.click(point["x"], point["y"])


def zoom_level(page: Page) -> float:
    """The canvas zoom, as the zoom-level control shows it."""
    return float(page.locator(tid("canvas-zoom-level")).get_attribute("data-zoom") or "nan")


def wait_for_zoom(page: Page, expected: float) -> None:
    """Waits for the canvas zoom (animated) to settle at `expected`."""
    try:
        page.wait_for_function(
            """([sel, z]) => {
                const el = document.querySelector(sel);
                return !!el && Math.abs(Number(el.dataset.zoom) - z) < 0.002;
            }""",
            arg=[tid("canvas-zoom-level"), expected],
        )
    except PlaywrightTimeout:
        raise AssertionError(f"zoom stayed at {zoom_level(page)}, expected {expected}") from None


def zoom_step(page: Page, direction: str) -> float:
    """Clicks the zoom-in or zoom-out control once, from a settled viewport, and waits for the
    zoom it must reach; returns that zoom. Reading the zoom while an earlier animation still runs
    would make the expected value wrong."""
    wait_for_still_viewport(page)
    before = zoom_level(page)
    if direction == "in":
        expected = min(MAX_ZOOM, before * ZOOM_STEP)
    else:
        expected = max(MIN_ZOOM, before / ZOOM_STEP)
    page.click(tid(f"canvas-zoom-{direction}"))
    wait_for_zoom(page, expected)
    return expected


def viewport_scale(page: Page) -> float:
    """The scale of React Flow's viewport transform (what is really drawn)."""
    transform = str(page.locator(".react-flow__viewport").evaluate("el => el.style.transform"))
    return float(transform.rsplit("scale(", 1)[1].rstrip(")"))


NODES_INSIDE_CANVAS = """sel => {
    const c = document.querySelector(sel).getBoundingClientRect();
    const nodes = [...document.querySelectorAll('.flow-node')];
    return nodes.length > 0 && nodes.every(n => {
        const r = n.getBoundingClientRect();
        return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
    });
}"""


def nodes_inside_canvas(page: Page) -> bool:
    return bool(page.evaluate(NODES_INSIDE_CANVAS, tid("canvas")))


def wait_for_still_viewport(page: Page, frames: int = 10) -> None:
    """Waits until the canvas viewport has not moved for `frames` animation frames (the fits
    that follow a load, or an animated zoom, are over)."""
    page.evaluate("() => { window.__e2eViewport = { transform: null, still: 0 }; }")
    page.wait_for_function(
        """frames => {
            const el = document.querySelector('.react-flow__viewport');
            const w = window.__e2eViewport;
            const t = el ? el.style.transform : null;
            if (t && t === w.transform) w.still += 1;
            else { w.transform = t; w.still = 0; }
            return w.still >= frames;
        }""",
        arg=frames,
        polling="raf",
    )
