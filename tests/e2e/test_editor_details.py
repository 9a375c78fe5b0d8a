"""The editor's details: palette, canvas controls and minimap, edges, and the schema-built form."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from e2e_page import (
    NODES_INSIDE_CANVAS,
    ZOOM_STEP,
    chips,
    click_edge,
    code_editor_text,
    connect,
    drop_block,
    edge,
    expect_no_badge,
    node,
    nodes_inside_canvas,
    tid,
    type_in_code_editor,
    viewport_scale,
    wait_for_still_viewport,
    wait_for_zoom,
    zoom_level,
    zoom_step,
)
from e2e_support import Server
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

_selected = re.compile(r"\bselected\b")


def chain_pipeline(server: Server) -> dict[str, Any]:
    """ask -> check -> out, a chain (no edges given), with no layout: loaded, it is laid out."""
    return dict(
        server.json(
            "POST",
            "/api/pipelines",
            json={
                "name": "Chain",
                "seed_fields": ["topic"],
                "blocks": [
                    {
                        "id": "ask",
                        "type": "LLMBlock",
                        "config": {"user_prompt": "Tell me about {{ topic }}"},
                    },
                    {"id": "check", "type": "ValidatorBlock", "config": {"field": "assistant"}},
                    {
                        "id": "out",
                        "type": "OutputBlock",
                        "config": {"format_template": "{{ assistant }}"},
                    },
                ],
            },
        )
    )


def box(page: Page, block_id: str) -> dict[str, float]:
    found = node(page, block_id).bounding_box()
    assert found is not None
    return dict(found)


def test_palette_lists_every_block_by_category_with_its_description(
    server: Server, page: Page
) -> None:
    blocks = server.json("GET", "/api/blocks")["blocks"]
    page.goto(f"{server.url}/pipelines/new")
    for block in blocks:
        item = page.locator(
            f"{tid('palette-category-' + block['category'])} {tid('palette-item-' + block['type'])}"
        )
        expect(item).to_contain_text(block["name"])
        expect(item).to_contain_text(block["description"])
    # the search matches descriptions too, and says when nothing matches
    page.fill(tid("palette-search"), "json schema")
    expect(page.locator(tid("palette-item-StructuredGenerator"))).to_be_visible()
    expect(page.locator(tid("palette-item-OutputBlock"))).to_have_count(0)
    page.fill(tid("palette-search"), "no such block anywhere")
    expect(page.locator(".palette-item")).to_have_count(0)
    expect(page.locator(tid("palette"))).to_contain_text("No block matches")


def test_canvas_controls_minimap_layout_and_edges(server: Server, page: Page) -> None:
    pipeline = chain_pipeline(server)
    page.goto(f"{server.url}/pipelines/{pipeline['id']}")
    for block_id in ("start", "ask", "check", "out", "end"):
        expect(node(page, block_id)).to_be_visible()
    # loaded without positions: laid out and fitted into the canvas
    wait_for_still_viewport(page)
    assert nodes_inside_canvas(page)

    # the minimap shows every node
    minimap = page.locator(tid("canvas-minimap"))
    expect(minimap.locator("svg")).to_be_visible()
    expect(minimap.locator(".react-flow__minimap-node")).to_have_count(5)

    # zoom in and out: the viewport's scale changes, and the nodes are drawn bigger / smaller
    fitted = zoom_level(page)
    assert viewport_scale(page) == pytest.approx(fitted, abs=0.002)
    width = box(page, "ask")["width"]
    assert zoom_step(page, "in") == pytest.approx(fitted * ZOOM_STEP)
    assert viewport_scale(page) == pytest.approx(fitted * ZOOM_STEP, abs=0.002)
    assert box(page, "ask")["width"] == pytest.approx(width * ZOOM_STEP, rel=0.02)
    shown = page.locator(tid("canvas-zoom-level")).inner_text()
    assert abs(int(shown.rstrip("%")) - fitted * ZOOM_STEP * 100) <= 1, shown
    zoom_step(page, "out")
    assert zoom_step(page, "out") == pytest.approx(fitted / ZOOM_STEP, abs=0.002)
    assert viewport_scale(page) == pytest.approx(fitted / ZOOM_STEP, abs=0.002)
    assert box(page, "ask")["width"] < width

    # zoomed in far, some nodes leave the canvas; "fit view" brings them all back
    for _ in range(4):
        zoom_step(page, "in")
    assert zoom_level(page) > fitted
    assert not nodes_inside_canvas(page)
    # the zoom level, clicked, goes to 100%
    page.click(tid("canvas-zoom-level"))
    wait_for_zoom(page, 1.0)
    expect(page.locator(tid("canvas-zoom-level"))).to_have_text("100%")
    page.click(tid("canvas-fit-view"))
    page.wait_for_function(NODES_INSIDE_CANVAS, arg=tid("canvas"))
    wait_for_zoom(page, fitted)

    # auto-layout: a node dragged out of place goes back to its depth (Start above End)
    header = node(page, "out").locator(".node-header").bounding_box()
    canvas = page.locator(tid("canvas")).bounding_box()
    assert header is not None and canvas is not None
    page.mouse.move(header["x"] + 20, header["y"] + header["height"] / 2)
    page.mouse.down()
    page.mouse.move(box(page, "start")["x"] + 300, canvas["y"] + 15, steps=10)
    page.mouse.up()
    expect(page.locator(tid("dirty-indicator"))).to_be_visible()
    assert box(page, "out")["y"] < box(page, "start")["y"]
    page.click(tid("auto-layout"))
    page.wait_for_function(
        """ids => {
            const tops = ids.map(id =>
                document.querySelector(`[data-testid="node-${id}"]`).getBoundingClientRect().top);
            return tops.every((t, i) => i === 0 || tops[i - 1] < t);
        }""",
        arg=["start", "ask", "check", "out", "end"],
    )
    page.wait_for_function(NODES_INSIDE_CANVAS, arg=tid("canvas"))

    # Start and End cannot be deleted
    for terminal in ("start", "end"):
        node(page, terminal).click()
        page.keyboard.press("Delete")
        page.keyboard.press("Backspace")
        expect(node(page, terminal)).to_be_visible()
    expect(page.locator(tid("edge"))).to_have_count(4)

    # an edge, selected by a click and deleted with the keyboard: what it joined is cut off
    click_edge(page, "check", "out")
    expect(edge(page, "check", "out")).to_have_class(_selected)
    page.keyboard.press("Delete")
    expect(edge(page, "check", "out")).to_have_count(0)
    expect(page.locator(tid("edge"))).to_have_count(3)
    # no path from Start reaches `out`, and none from `ask` or `check` reaches End
    for block_id in ("out", "ask", "check"):
        expect(node(page, block_id).locator(tid("badge-not-connected"))).to_be_visible()
    # `out` no longer sees the validator's fields
    expect(node(page, "out").locator(f"{tid('node-available')} .chip")).to_have_count(1)
    assert chips(node(page, "out").locator(tid("node-available"))) == ["topic"]

    # a branch: `ask` feeds both `check` and `out`; `check` ends the pipeline
    connect(page, "ask", "out")
    expect(edge(page, "ask", "out")).to_have_count(1)
    expect_no_badge(node(page, "out"), "badge-not-connected")
    expect_no_badge(node(page, "ask"), "badge-not-connected")
    expect(node(page, "check").locator(tid("badge-not-connected"))).to_be_visible()
    connect(page, "check", "end")
    expect_no_badge(node(page, "check"), "badge-not-connected")
    expect(node(page, "out").locator(f"{tid('node-available')} .chip")).to_have_count(2)
    assert chips(node(page, "out").locator(tid("node-available"))) == ["topic", "assistant"]

    page.click(tid("save-pipeline"))
    expect(page.locator(tid("save-status"))).to_have_text("Saved.")
    saved = server.json("GET", f"/api/pipelines/{pipeline['id']}")["definition"]
    assert sorted(saved["edges"]) == [["ask", "check"], ["ask", "out"]]

    # Backspace deletes an edge too
    click_edge(page, "start", "ask")
    expect(edge(page, "start", "ask")).to_have_class(_selected)
    page.keyboard.press("Backspace")
    expect(edge(page, "start", "ask")).to_have_count(0)
    for block_id in ("ask", "check", "out"):
        expect(node(page, block_id).locator(tid("badge-not-connected"))).to_be_visible()

    # a block added with "+" (below the others: out of view when zoomed in) shows in the
    # minimap, and is brought into view where it can be reached
    for _ in range(2):
        zoom_step(page, "in")
    page.click(tid("palette-add-JSONValidatorBlock"))
    expect(minimap.locator(".react-flow__minimap-node")).to_have_count(6)
    added = node(page, "json_validator_block")
    page.wait_for_function(
        """([canvas, added]) => {
            const c = document.querySelector(canvas).getBoundingClientRect();
            const r = document.querySelector(added).getBoundingClientRect();
            return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
        }""",
        arg=[tid("canvas"), tid("node-json_validator_block")],
    )
    added.locator(".node-header").click()  # not under the minimap nor the controls
    expect(page.locator(tid("config-panel"))).to_have_attribute(
        "data-block-id", "json_validator_block"
    )
    # and deleted from its panel
    page.click(tid("config-delete-block"))
    expect(added).to_have_count(0)
    expect(page.locator(tid("config-panel"))).to_have_count(0)
    expect(minimap.locator(".react-flow__minimap-node")).to_have_count(5)


def select_block(page: Page, block_id: str) -> None:
    node(page, block_id).locator(".node-header").click()
    expect(page.locator(tid("config-panel"))).to_have_attribute("data-block-id", block_id)


def test_config_widgets_from_the_schema_save_real_json(server: Server, page: Page) -> None:
    schemas = {b["type"]: b["config_schema"] for b in server.json("GET", "/api/blocks")["blocks"]}
    modes = schemas["StructuredGenerator"]["properties"]["mode"]["enum"]
    assert modes == ["auto", "json_schema", "json_object"]
    pipeline = server.json(
        "POST",
        "/api/pipelines",
        json={
            "name": "Widgets",
            "seed_fields": ["topic"],
            "blocks": [
                {
                    "id": "ask",
                    "type": "LLMBlock",
                    "config": {"user_prompt": "Tell me about {{ topic }}"},
                },
                {
                    "id": "out",
                    "type": "OutputBlock",
                    "config": {"format_template": "{{ assistant }}"},
                },
            ],
        },
    )
    pipeline_id = pipeline["id"]
    page.goto(f"{server.url}/pipelines/{pipeline_id}")
    expect(node(page, "out")).to_be_visible()
    wait_for_still_viewport(page)

    # a structured generator, dropped beside the chain: two required values missing
    drop_block(page, "StructuredGenerator", -320, 0)
    generator = node(page, "structured_generator")
    expect(generator.locator(tid("badge-not-configured"))).to_be_visible()
    expect(generator.locator(tid("badge-not-connected"))).to_be_visible()
    expect(page.locator(tid("config-panel"))).to_have_attribute(
        "data-block-id", "structured_generator"
    )
    # every field has its widget and, under it, its help text
    widgets = {
        "json_schema": "json",
        "user_prompt": "jinja",
        "system_prompt": "jinja",
        "model": "text",
        "endpoint": "text",
        "temperature": "number",
        "max_tokens": "integer",
        "output_field": "text",
        "mode": "select",
    }
    for key, prop in schemas["StructuredGenerator"]["properties"].items():
        field = page.locator(tid(f"config-field-{key}"))
        expect(field).to_have_attribute("data-widget", widgets[key])
        expect(field.locator(".help-text")).to_have_text(prop["description"])
    expect(page.locator(tid("config-error-json_schema"))).to_have_text("Required")
    expect(page.locator(tid("config-error-user_prompt"))).to_have_text("Required")

    # the enum: a select of its values, showing the default
    mode = page.locator(tid("config-input-mode"))
    labels = mode.locator("option").evaluate_all("els => els.map(e => e.textContent)")
    assert [label for label in labels if label in modes] == modes
    assert mode.evaluate("s => s.options[s.selectedIndex].textContent") == "auto"
    mode.select_option(label="json_object")

    # the object: a JSON editor; bad JSON and a non-object are flagged as typed
    schema = {"type": "object", "properties": {"question": {"type": "string"}}}
    text = json.dumps(schema)
    type_in_code_editor(page, "config-input-json_schema", text[:-1])
    expect(page.locator(tid("config-error-json_schema"))).to_contain_text("Invalid JSON")
    # saving waits for the field to be fixed: nothing is sent
    page.click(tid("save-pipeline"))
    expect(page.locator(tid("save-status"))).to_contain_text("invalid values")
    stored = server.json("GET", f"/api/pipelines/{pipeline_id}")["definition"]
    assert [b["id"] for b in stored["blocks"]] == ["ask", "out"]
    type_in_code_editor(page, "config-input-json_schema", "}", replace=False)
    expect(page.locator(tid("config-error-json_schema"))).to_have_count(0)
    assert json.loads(code_editor_text(page, "config-input-json_schema")) == schema
    type_in_code_editor(page, "config-input-json_schema", '["question"]')
    expect(page.locator(tid("config-error-json_schema"))).to_have_text("Expected a JSON object")
    type_in_code_editor(page, "config-input-json_schema", text)
    expect(page.locator(tid("config-error-json_schema"))).to_have_count(0)
    expect(generator.locator(tid("badge-not-configured"))).to_be_visible()  # the prompt still
    type_in_code_editor(page, "config-input-user_prompt", "One question about {{ topic }}")
    expect_no_badge(generator, "badge-not-configured")

    # a second branch from Start, joining the first at `out`
    connect(page, "start", "structured_generator")
    connect(page, "structured_generator", "out")
    expect_no_badge(generator, "badge-not-connected")

    # the LLM block: a number, an integer (flagged until whole) and a text
    select_block(page, "ask")
    page.fill(tid("config-input-temperature"), "0.7")
    page.fill(tid("config-input-max_tokens"), "1.5")
    expect(page.locator(tid("config-error-max_tokens"))).to_have_text("Enter a whole number")
    expect(node(page, "ask").locator(tid("badge-not-configured"))).to_be_visible()
    page.fill(tid("config-input-max_tokens"), "256")
    expect(page.locator(tid("config-error-max_tokens"))).to_have_count(0)
    expect_no_badge(node(page, "ask"), "badge-not-configured")
    page.fill(tid("config-input-model"), "mock-model")

    # the output block: a checkbox; its required template emptied is flagged, then filled
    select_block(page, "out")
    parse_json = page.locator(tid("config-field-parse_json"))
    expect(parse_json).to_have_attribute("data-widget", "checkbox")
    expect(page.locator(tid("config-input-parse_json"))).not_to_be_checked()
    page.check(tid("config-input-parse_json"))
    type_in_code_editor(page, "config-input-format_template", "")
    expect(page.locator(tid("config-error-format_template"))).to_have_text("Required")
    expect(node(page, "out").locator(tid("badge-not-configured"))).to_be_visible()
    type_in_code_editor(
        page, "config-input-format_template", "{{ generated | tojson }}", replace=False
    )
    expect(page.locator(tid("config-error-format_template"))).to_have_count(0)
    expect_no_badge(node(page, "out"), "badge-not-configured")

    page.click(tid("save-pipeline"))
    expect(page.locator(tid("save-status"))).to_have_text("Saved.")

    # saved as real JSON values, not strings
    definition = server.json("GET", f"/api/pipelines/{pipeline_id}")["definition"]
    config = {b["id"]: b["config"] for b in definition["blocks"]}
    generated = config["structured_generator"]
    assert generated["json_schema"] == schema
    assert generated["mode"] == "json_object"
    assert generated["user_prompt"] == "One question about {{ topic }}"
    assert config["out"]["parse_json"] is True
    assert config["out"]["format_template"] == "{{ generated | tojson }}"
    assert config["ask"]["temperature"] == 0.7
    assert isinstance(config["ask"]["temperature"], float)
    assert config["ask"]["max_tokens"] == 256
    assert isinstance(config["ask"]["max_tokens"], int)
    assert config["ask"]["model"] == "mock-model"
    assert sorted(definition["edges"]) == [["ask", "out"], ["structured_generator", "out"]]

    # reloaded, every widget shows the saved value
    page.reload()
    expect(node(page, "structured_generator")).to_be_visible()
    select_block(page, "structured_generator")
    assert (
        page.locator(tid("config-input-mode")).evaluate(
            "s => s.options[s.selectedIndex].textContent"
        )
        == "json_object"
    )
    assert json.loads(code_editor_text(page, "config-input-json_schema")) == schema
    select_block(page, "out")
    expect(page.locator(tid("config-input-parse_json"))).to_be_checked()
    select_block(page, "ask")
    expect(page.locator(tid("config-input-temperature"))).to_have_value("0.7")
    expect(page.locator(tid("config-input-max_tokens"))).to_have_value("256")
    expect(page.locator(tid("config-input-model"))).to_have_value("mock-model")


def test_undo_and_redo_in_the_editor(server: Server, page: Page) -> None:
    pipeline = chain_pipeline(server)
    page.goto(f"{server.url}/pipelines/{pipeline['id']}")
    expect(node(page, "out")).to_be_visible()
    wait_for_still_viewport(page)
    undo, redo = page.locator(tid("editor-undo")), page.locator(tid("editor-redo"))
    expect(undo).to_be_disabled()  # the loaded pipeline has no history
    expect(redo).to_be_disabled()

    # a block added, then taken back with the keyboard and brought back with the button
    page.click(tid("palette-add-JSONValidatorBlock"))
    added = node(page, "json_validator_block")
    expect(added).to_be_visible()
    page.locator(tid("canvas")).click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+z")
    expect(added).to_have_count(0)
    expect(undo).to_be_disabled()
    redo.click()
    expect(added).to_be_visible()
    undo.click()
    expect(added).to_have_count(0)
    expect(redo).to_be_enabled()

    # a node deleted with the keyboard comes back with its edges in one step
    expect(page.locator(tid("edge"))).to_have_count(4)
    node(page, "check").locator(".node-header").click()
    page.keyboard.press("Delete")
    expect(node(page, "check")).to_have_count(0)
    expect(page.locator(tid("edge"))).to_have_count(2)
    expect(redo).to_be_disabled()  # a new change: nothing left to redo
    undo.click()
    expect(node(page, "check")).to_be_visible()
    expect(page.locator(tid("edge"))).to_have_count(4)
    expect(edge(page, "ask", "check")).to_have_count(1)
    expect(edge(page, "check", "out")).to_have_count(1)

    # typing in a prompt: Ctrl+Z inside the code editor is the editor's own undo; on the canvas
    # it takes the whole typed change back as one step
    select_block(page, "out")
    type_in_code_editor(page, "config-input-format_template", " and more", replace=False)
    expect(page.locator(f"{tid('config-input-format_template')} .cm-content")).to_have_text(
        "{{ assistant }} and more"
    )
    page.keyboard.press("Control+z")  # CodeMirror's: the canvas history is untouched
    expect(page.locator(f"{tid('config-input-format_template')} .cm-content")).to_have_text(
        "{{ assistant }}"
    )
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(f"{tid('config-input-format_template')} .cm-content")).to_have_text(
        "{{ assistant }} and more"
    )
    expect(node(page, "check")).to_be_visible()  # the node deletion was not redone
    node(page, "out").locator(".node-header").click()
    page.keyboard.press("Control+z")
    expect(page.locator(f"{tid('config-input-format_template')} .cm-content")).to_have_text(
        "{{ assistant }}"
    )
    page.keyboard.press("Control+y")
    expect(page.locator(f"{tid('config-input-format_template')} .cm-content")).to_have_text(
        "{{ assistant }} and more"
    )

    # what is saved is what is shown after undo and redo
    page.click(tid("save-pipeline"))
    expect(page.locator(tid("save-status"))).to_have_text("Saved.")
    expect(undo).to_be_enabled()  # saving keeps the history
    saved = server.json("GET", f"/api/pipelines/{pipeline['id']}")["definition"]
    assert [b["id"] for b in saved["blocks"]] == ["ask", "check", "out"]
    out = next(b for b in saved["blocks"] if b["id"] == "out")
    assert out["config"]["format_template"] == "{{ assistant }} and more"
