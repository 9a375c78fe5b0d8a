"""Build a three-block pipeline from scratch in the visual editor, then save it."""

from __future__ import annotations

import re

import pytest
from e2e_page import (
    chips,
    code_editor_text,
    connect,
    drop_block,
    expect_no_badge,
    node,
    tid,
    type_in_code_editor,
)
from e2e_support import Server, screenshot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_build_configure_and_save_a_pipeline(server: Server, page: Page) -> None:
    page.goto(f"{server.url}/pipelines/new")
    expect(page.locator(tid("palette-item-LLMBlock"))).to_be_visible()
    expect(page.locator(tid("node-start"))).to_be_visible()
    expect(page.locator(tid("node-end"))).to_be_visible()

    # the palette: grouped by category, searchable, with descriptions
    expect(page.locator(tid("palette-category-generators"))).to_contain_text("LLM Generator")
    page.fill(tid("palette-search"), "forbidden words")
    expect(page.locator(tid("palette-item-ValidatorBlock"))).to_be_visible()
    expect(page.locator(tid("palette-item-LLMBlock"))).to_have_count(0)
    page.fill(tid("palette-search"), "")

    page.fill(tid("pipeline-name"), "Three blocks")
    page.fill(tid("seed-field-input"), "topic")
    page.click(tid("seed-field-add"))
    expect(page.locator(tid("node-seed-fields"))).to_contain_text("topic")

    # drag three blocks from the palette onto the canvas
    drop_block(page, "LLMBlock", -280, -130)
    drop_block(page, "ValidatorBlock", 280, -20)
    drop_block(page, "OutputBlock", -280, 150)
    llm, validator, output = (
        node(page, "llm_block"),
        node(page, "validator_block"),
        node(page, "output_block"),
    )
    for n in (llm, validator, output):
        expect(n).to_be_visible()
        expect(n.locator(tid("badge-not-connected"))).to_be_visible()
    # the LLM needs a user prompt; the output block a template
    expect(llm.locator(tid("badge-not-configured"))).to_be_visible()
    expect(output.locator(tid("badge-not-configured"))).to_be_visible()
    expect_no_badge(validator, "badge-not-configured")

    # a fourth block, deleted with the keyboard; Start cannot be deleted
    drop_block(page, "JSONValidatorBlock", 0, 250)
    extra = node(page, "json_validator_block")
    extra.click()
    page.keyboard.press("Delete")
    expect(extra).to_have_count(0)
    page.locator(tid("node-start")).click()
    page.keyboard.press("Delete")
    expect(page.locator(tid("node-start"))).to_be_visible()

    # connect Start -> LLM -> validator -> output -> End
    connect(page, "start", "llm_block")
    connect(page, "llm_block", "validator_block")
    connect(page, "validator_block", "output_block")
    expect(output.locator(tid("badge-not-connected"))).to_be_visible()  # not yet on a path to End
    connect(page, "output_block", "end")
    for n in (llm, validator, output):
        expect_no_badge(n, "badge-not-connected")
    page.click(tid("auto-layout"))

    # accumulated state: seed fields + every upstream block's outputs
    assert chips(llm.locator(tid("node-available"))) == ["topic"]
    assert chips(validator.locator(tid("node-available"))) == ["topic", "assistant"]
    assert chips(output.locator(tid("node-available"))) == [
        "topic",
        "assistant",
        "is_valid",
        "validation_errors",
    ]
    assert chips(output.locator(tid("node-outputs"))) == ["output"]
    end_fields = chips(page.locator(tid("node-end")).locator(tid("node-available")))
    assert set(end_fields) == {"topic", "assistant", "is_valid", "validation_errors", "output"}

    # saving an incomplete pipeline: validation problems on the nodes and in a list
    page.click(tid("save-pipeline"))
    expect(page.locator(tid("save-status"))).to_contain_text("Not saved")
    problems = page.locator(tid("problem-item"))
    expect(problems.first).to_be_visible()
    assert "llm_block" in problems.evaluate_all("els => els.map(e => e.dataset.blockId)")
    expect(llm.locator(tid("node-problems"))).to_be_visible()

    # configure the LLM block from its schema-generated form
    llm.click()
    panel = page.locator(tid("config-panel"))
    expect(panel).to_have_attribute("data-block-id", "llm_block")
    expect(page.locator(tid("config-field-user_prompt"))).to_have_attribute("data-widget", "jinja")
    expect(page.locator(tid("config-field-temperature"))).to_have_attribute("data-widget", "number")
    expect(page.locator(tid("config-field-temperature"))).to_contain_text("Sampling temperature")
    expect(page.locator(tid("config-error-user_prompt"))).to_have_text("Required")
    type_in_code_editor(page, "config-input-user_prompt", "Write one sentence about {{ topic }}.")
    expect(page.locator(tid("config-error-user_prompt"))).to_have_count(0)
    assert (
        code_editor_text(page, "config-input-user_prompt")
        == "Write one sentence about {{ topic }}."
    )
    # Jinja highlighting: the template variable is styled apart from the text
    assert page.locator(f"{tid('config-input-user_prompt')} .cm-line span").count() > 0
    page.fill(tid("config-input-temperature"), "hot")
    expect(page.locator(tid("config-error-temperature"))).to_have_text("Enter a number")
    expect(llm.locator(tid("badge-not-configured"))).to_be_visible()
    page.fill(tid("config-input-temperature"), "0.5")
    expect(page.locator(tid("config-error-temperature"))).to_have_count(0)
    expect_no_badge(llm, "badge-not-configured")

    # the validator: a field-reference dropdown of the fields available at that block
    validator.click()
    expect(page.locator(tid("config-field-field"))).to_have_attribute(
        "data-widget", "field-reference"
    )
    field_input = page.locator(tid("config-input-field"))
    list_id = field_input.get_attribute("list")
    options = page.locator(f'datalist[id="{list_id}"] option').evaluate_all(
        "els => els.map(e => e.value)"
    )
    assert options == ["topic", "assistant"]
    field_input.fill("nowhere")
    expect(page.locator(tid("config-error-field"))).to_contain_text("Not available")
    field_input.fill("assistant")
    expect(page.locator(tid("config-error-field"))).to_have_count(0)
    page.fill(tid("config-input-min_length"), "5")
    expect(page.locator(tid("config-field-patterns"))).to_have_attribute("data-widget", "json")
    type_in_code_editor(page, "config-input-patterns", '["\\\\w+"')
    expect(page.locator(tid("config-error-patterns"))).to_contain_text("Invalid JSON")
    page.keyboard.type("]")
    expect(page.locator(tid("config-error-patterns"))).to_have_count(0)

    # the output block: template, and a new id
    output.click()
    type_in_code_editor(page, "config-input-format_template", "{{ assistant }}")
    page.fill(tid("config-block-id"), "1bad")
    expect(page.locator(tid("config-error-block-id"))).to_be_visible()
    page.fill(tid("config-block-id"), "out")
    expect(node(page, "out")).to_be_visible()
    expect_no_badge(node(page, "out"), "badge-not-configured")
    # the problems found at the first save are kept current as the pipeline changes
    expect(page.locator(tid("problems-list"))).to_have_count(0)
    expect(page.locator(tid("save-status"))).to_contain_text("ready to save")
    screenshot(page, "editor-build")

    # save: validated, then created; the URL becomes the pipeline's
    page.click(tid("save-pipeline"))
    expect(page.locator(tid("save-status"))).to_have_text("Saved.")
    expect(page.locator(tid("problems-list"))).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/pipelines/\d+$"))
    pipeline_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(tid("editor-undo"))).to_be_enabled()  # the new URL kept the history

    saved = server.json("GET", f"/api/pipelines/{pipeline_id}")
    definition = saved["definition"]
    assert saved["name"] == "Three blocks"
    assert definition["seed_fields"] == ["topic"]
    assert [b["id"] for b in definition["blocks"]] == ["llm_block", "validator_block", "out"]
    assert definition["edges"] == [["llm_block", "validator_block"], ["validator_block", "out"]]
    config = {b["id"]: b["config"] for b in definition["blocks"]}
    assert config["llm_block"]["user_prompt"] == "Write one sentence about {{ topic }}."
    assert config["llm_block"]["temperature"] == 0.5
    assert config["validator_block"]["field"] == "assistant"
    assert config["validator_block"]["min_length"] == 5
    assert config["validator_block"]["patterns"] == ["\\w+"]
    assert config["out"]["format_template"] == "{{ assistant }}"
    assert set(definition["layout"]) >= {"llm_block", "validator_block", "out"}

    # a deep link reloads into the same pipeline
    page.reload()
    expect(node(page, "out")).to_be_visible()
    expect(page.locator(tid("pipeline-name"))).to_have_value("Three blocks")
    expect(page.locator(tid("dirty-indicator"))).to_have_count(0)
    assert chips(node(page, "out").locator(tid("node-available"))) == [
        "topic",
        "assistant",
        "is_valid",
        "validation_errors",
    ]
    screenshot(page, "editor")

    # leaving with unsaved changes asks first
    page.fill(tid("pipeline-name"), "Three blocks, renamed")
    expect(page.locator(tid("dirty-indicator"))).to_be_visible()
    page.click(tid("nav-pipelines"))
    expect(page.locator(tid("confirm-dialog"))).to_contain_text("without saving")
    page.click(tid("confirm-cancel"))
    expect(page.locator(tid("page-editor"))).to_be_visible()
    page.click(tid("nav-pipelines"))
    page.click(tid("confirm-ok"))
    expect(page.locator(tid("page-pipelines"))).to_be_visible()
    assert server.json("GET", f"/api/pipelines/{pipeline_id}")["name"] == "Three blocks"
