"""Templates, the pipeline list (open, duplicate, delete) and "Try it" on one seed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from e2e_page import node, tid, type_in_code_editor
from e2e_support import Server, screenshot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_pipeline_from_template_and_the_list(server: Server, page: Page, tmp_path: Path) -> None:
    templates = {t["id"]: t for t in server.json("GET", "/api/templates")["templates"]}
    assert "qa_generation" in templates
    page.goto(f"{server.url}/pipelines")
    card = page.locator(tid("template-card-qa_generation"))
    expect(card).to_contain_text(templates["qa_generation"]["name"])
    expect(page.locator(tid("pipelines-empty"))).to_be_visible()

    # the example seeds download as a JSON file
    with page.expect_download() as info:
        page.click(tid("template-seeds-qa_generation"))
    download = info.value
    assert download.suggested_filename == "qa_generation-seeds.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert json.loads(saved.read_text()) == templates["qa_generation"]["example_seeds"]
    screenshot(page, "pipelines-templates")

    # use the template: a pipeline is created and opens in the editor
    page.click(tid("template-use-qa_generation"))
    expect(page).to_have_url(re.compile(r"/pipelines/\d+$"))
    pipeline_id = int(page.url.rsplit("/", 1)[1])
    definition = templates["qa_generation"]["definition"]
    for block in definition["blocks"]:
        expect(node(page, block["id"])).to_be_visible()
    expect(page.locator(tid("pipeline-name"))).to_have_value(definition["name"])
    expect(page.locator(tid("badge-not-configured"))).to_have_count(0)
    expect(page.locator(tid("badge-not-connected"))).to_have_count(0)

    # back to the list: open, duplicate, delete (with confirmation)
    page.click(tid("nav-pipelines"))
    row = page.locator(tid(f"pipeline-row-{pipeline_id}"))
    expect(row).to_contain_text(definition["name"])
    page.click(tid(f"pipeline-duplicate-{pipeline_id}"))
    copy_row = page.locator(f'tr[data-pipeline-name="{definition["name"]} (copy)"]')
    expect(copy_row).to_be_visible()
    copies = [
        p for p in server.json("GET", "/api/pipelines")["pipelines"] if p["id"] != pipeline_id
    ]
    assert len(copies) == 1
    assert (
        copies[0]["definition"]["blocks"]
        == server.json("GET", f"/api/pipelines/{pipeline_id}")["definition"]["blocks"]
    )
    screenshot(page, "pipelines")

    copy_id = copies[0]["id"]
    page.click(tid(f"pipeline-delete-{copy_id}"))
    expect(page.locator(tid("confirm-dialog"))).to_contain_text("(copy)")
    page.click(tid("confirm-cancel"))
    expect(page.locator(tid(f"pipeline-row-{copy_id}"))).to_be_visible()
    page.click(tid(f"pipeline-delete-{copy_id}"))
    page.click(tid("confirm-ok"))
    expect(page.locator(tid(f"pipeline-row-{copy_id}"))).to_have_count(0)
    assert server.api.get(f"/api/pipelines/{copy_id}").status_code == 404

    page.click(tid(f"pipeline-open-{pipeline_id}"))
    expect(page).to_have_url(re.compile(rf"/pipelines/{pipeline_id}$"))
    expect(node(page, definition["blocks"][0]["id"])).to_be_visible()


def test_download_and_import_a_pipeline_file(server: Server, page: Page, tmp_path: Path) -> None:
    pipeline = server.json("POST", "/api/pipelines/from_template/text_classification")
    stored = pipeline["definition"]
    page.goto(f"{server.url}/pipelines")

    # Download: the definition as YAML, named after the pipeline
    with page.expect_download() as info:
        page.click(tid(f"pipeline-download-{pipeline['id']}"))
    download = info.value
    assert download.suggested_filename == "text-classification.yaml"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert yaml.safe_load(saved.read_text()) == {k: v for k, v in stored.items() if v is not None}

    # Import, edited: a new pipeline, opened in the editor
    saved.write_text(saved.read_text().replace("name: Text classification", "name: Imported copy"))
    page.set_input_files(tid("import-pipeline-input"), str(saved))
    expect(page).to_have_url(re.compile(r"/pipelines/\d+$"))
    imported_id = int(page.url.rsplit("/", 1)[1])
    assert imported_id != pipeline["id"]
    expect(page.locator(tid("pipeline-name"))).to_have_value("Imported copy")
    for block in stored["blocks"]:
        expect(node(page, block["id"])).to_be_visible()
    imported = server.json("GET", f"/api/pipelines/{imported_id}")["definition"]
    assert imported["blocks"] == stored["blocks"]

    # a broken file: the server's message, naming the file and the line; nothing is added
    page.click(tid("nav-pipelines"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: Broken\nblocks:\n\t- type: LLMBlock\n")
    page.set_input_files(tid("import-pipeline-input"), str(broken))
    expect(page.locator(tid("import-error"))).to_contain_text(
        "broken.yaml is not valid YAML or JSON at line 3"
    )
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"name": "Invalid", "blocks": [{"type": "LLMBlok"}]}))
    page.set_input_files(tid("import-pipeline-input"), str(invalid))
    expect(page.locator(tid("import-error"))).to_contain_text("did you mean 'LLMBlock'")
    expect(page).to_have_url(re.compile(r"/pipelines$"))
    assert len(server.json("GET", "/api/pipelines")["pipelines"]) == 2


def test_try_it_runs_one_seed_without_storing(server: Server, page: Page, tmp_path: Path) -> None:
    pipeline = server.json("POST", "/api/pipelines/from_template/qa_generation")
    seed = server.json("GET", "/api/templates")["templates"]
    example = next(t for t in seed if t["id"] == "qa_generation")["example_seeds"][0]["metadata"]
    page.goto(f"{server.url}/pipelines/{pipeline['id']}")
    expect(node(page, pipeline["definition"]["blocks"][0]["id"])).to_be_visible()

    page.click(tid("try-it"))
    panel = page.locator(tid("try-panel"))
    expect(panel).to_be_visible()
    # typed metadata: a bad JSON is flagged
    type_in_code_editor(page, "try-metadata", '{"content": ')
    page.click(tid("try-run"))
    expect(page.locator(tid("try-error"))).to_contain_text("Invalid JSON")
    type_in_code_editor(page, "try-metadata", json.dumps(example))
    page.click(tid("try-run"))
    result = page.locator(tid("try-result"))
    expect(result).to_have_attribute("data-status", "succeeded", timeout=30_000)
    expect(page.locator(tid("try-output"))).not_to_be_empty()
    for block in pipeline["definition"]["blocks"]:
        expect(
            page.locator(f"{tid('try-trace')} {tid('trace-entry-' + block['id'])}")
        ).to_be_visible()
    first = page.locator(
        f"{tid('try-trace')} {tid('trace-entry-' + pipeline['definition']['blocks'][0]['id'])}"
    )
    first.locator("summary").click()
    expect(first).to_contain_text("Accumulated state")
    expect(first).to_contain_text(example["content"])
    screenshot(page, "editor-try-it")

    # a seed picked from a CSV file: its first row fills the metadata
    csv = tmp_path / "seeds.csv"
    csv.write_text(
        'content,level\n"Water boils at 100 degrees, at sea level.",beginner\nOther,expert\n'
    )
    page.set_input_files(tid("try-file"), str(csv))
    expect(page.locator(f"{tid('try-metadata')} .cm-content")).to_contain_text(
        "Water boils at 100 degrees, at sea level."
    )
    page.click(tid("try-run"))
    expect(result).to_have_attribute("data-status", "succeeded", timeout=30_000)

    # nothing was stored
    assert server.json("GET", "/api/jobs")["jobs"] == []
