"""The app shell: navigation, deep links, theme, demo banner, and no request leaving 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from e2e_page import node, tid
from e2e_support import Server, screenshot
from playwright.sync_api import Page, Request, expect

pytestmark = pytest.mark.e2e


def test_every_request_stays_on_127_0_0_1(server: Server, page: Page, tmp_path: Path) -> None:
    requests: list[str] = []
    outside: list[str] = []

    def watch(request: Request) -> None:
        requests.append(request.url)
        if urlparse(request.url).hostname != "127.0.0.1":
            outside.append(request.url)

    page.on("request", watch)
    # anything leaving this machine would also be stopped here
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlparse(route.request.url).hostname == "127.0.0.1"
            else route.abort()
        ),
    )
    pipeline = server.json("POST", "/api/pipelines/from_template/qa_generation")
    seeds = tmp_path / "seeds.json"
    seeds.write_text(
        json.dumps([{"metadata": {"content": "Clouds are water.", "level": "beginner"}}])
    )

    page.goto(f"{server.url}/")
    expect(page).to_have_url(f"{server.url}/pipelines")
    expect(page.locator(tid("template-card-qa_generation"))).to_be_visible()
    page.goto(f"{server.url}/pipelines/{pipeline['id']}")
    expect(node(page, pipeline["definition"]["blocks"][0]["id"])).to_be_visible()
    page.click(tid("try-it"))
    page.click(tid("try-run"))
    outcome = page.locator(f"{tid('try-result')}, {tid('try-error')}")
    expect(outcome).to_be_visible(timeout=30_000)
    assert outcome.get_attribute("data-testid") == "try-result", outcome.inner_text()
    page.click(tid("nav-generator"))
    page.set_input_files(tid("seed-file-input"), str(seeds))
    page.click(tid("generate-button"))
    expect(page.locator(tid("job-status"))).to_have_attribute("data-status", "completed")
    page.click(tid("job-review-link"))
    expect(page.locator(tid("record-card"))).to_have_count(1)
    page.keyboard.press("e")
    expect(page.locator(tid("edit-modal"))).to_be_visible()
    page.keyboard.press("Escape")
    page.click(tid("theme-toggle"))
    page.wait_for_load_state("networkidle")

    assert requests, "no request seen"
    assert not outside, f"requests left 127.0.0.1: {outside}"
    # no web fonts, and every script and style came from the app itself
    fonts = page.evaluate("Array.from(document.fonts).filter(f => f.status === 'loaded').length")
    assert fonts == 0


def test_navigation_deep_links_and_theme(server: Server, page: Page) -> None:
    page.goto(f"{server.url}/pipelines")
    for name, path in (
        ("generator", "/generator"),
        ("review", "/review"),
        ("pipelines", "/pipelines"),
    ):
        page.click(tid(f"nav-{name}"))
        expect(page).to_have_url(f"{server.url}{path}")
        expect(page.locator(tid(f"page-{name}"))).to_be_visible()
        # every page reloads from its own address
        page.reload()
        expect(page.locator(tid(f"page-{name}"))).to_be_visible()
        expect(page.locator(tid("app-header"))).to_contain_text("DataGenFlow")
    page.goto(f"{server.url}/pipelines/new")
    expect(page.locator(tid("page-editor"))).to_be_visible()
    page.goto(f"{server.url}/no/such/page")
    expect(page.locator(tid("page-not-found"))).to_be_visible()
    page.goto(f"{server.url}/pipelines/424242")
    expect(page.locator(tid("editor-load-error"))).to_be_visible()

    # light / dark, remembered across reloads
    page.goto(f"{server.url}/pipelines")
    before = page.evaluate("document.documentElement.dataset.theme")
    page.click(tid("theme-toggle"))
    after = page.evaluate("document.documentElement.dataset.theme")
    assert {before, after} == {"light", "dark"}
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", after)
    if after == "dark":
        screenshot(page, "pipelines-dark")
    page.click(tid("theme-toggle"))
    expect(page.locator("html")).to_have_attribute("data-theme", before)


@pytest.fixture
def demo_server(web_build: Path, tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "demo", None)
    yield server
    server.stop()


def test_demo_mode_banner(demo_server: Server, page: Page) -> None:
    health = demo_server.json("GET", "/api/health")
    if not health["llm"]["demo"]:
        pytest.skip("an LLM answers at the default endpoint on this machine: no demo mode")
    page.goto(f"{demo_server.url}/pipelines")
    banner = page.locator(tid("demo-banner"))
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Demo mode")
    expect(banner).to_contain_text("LLM_BASE_URL")
    page.click(tid("nav-review"))
    expect(banner).to_be_visible()
