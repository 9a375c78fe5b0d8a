"""Browser tests: Debian's Chromium (Playwright's sync API) against a real `datagenflow serve`.

Each server is a subprocess on a free port with a temporary SQLite database and the project's
fake LLM (`datagenflow mock-llm`, another subprocess). Screenshots go to
`test-output/screenshots/`, and also to `docs/images/` when DATAGENFLOW_UPDATE_DOCS_SCREENSHOTS=1.
README.md (beside this file) maps each point of the issue's "Deliver" list to the tests that
exercise it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, WEB_INDEX, MockLLM, Server


@pytest.fixture(scope="session")
def web_build() -> Path:
    if not WEB_INDEX.is_file():
        pytest.fail(
            f"the web UI is not built ({WEB_INDEX} missing): run `make frontend` "
            "(cd frontend && npm ci && npm run build)"
        )
    return WEB_INDEX


@pytest.fixture(scope="session")
def e2e_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def mock_llm(e2e_workdir: Path) -> Iterator[MockLLM]:
    llm = MockLLM(e2e_workdir)
    yield llm
    llm.stop()


@pytest.fixture(scope="session")
def shared_server(web_build: Path, e2e_workdir: Path, mock_llm: MockLLM) -> Iterator[Server]:
    server = Server(e2e_workdir / "server", mock_llm)
    yield server
    server.stop()


@pytest.fixture
def server(shared_server: Server) -> Server:
    """The session's server, emptied of jobs and pipelines before the test."""
    shared_server.clean()
    return shared_server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (scripts/ensure-chromium.sh installs it)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    console: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    pg.on(
        "response",
        lambda r: (
            console.append(f"HTTP {r.status} {r.request.method} {r.url}")
            if r.status >= 400
            else None
        ),
    )
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        # what the browser saw, for the failure's post-mortem
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
        (SCREENSHOTS / f"FAILED-{request.node.name}.log").write_text("\n".join(console) + "\n")
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
