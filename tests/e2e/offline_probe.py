"""Run inside a network namespace that has only loopback (see test_offline.py).

Starts `datagenflow serve` with no LLM configured (so demo mode: nothing answers at the default
endpoint), drives every page in Chromium, and prints one JSON line with what it saw.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import CHROMIUM, CHROMIUM_ARGS, Server


def main() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    seen: dict[str, list[str]] = {"outside": [], "failed": [], "errors": [], "pages": []}
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "server", None)
        try:
            pipeline = server.json("POST", "/api/pipelines/from_template/qa_generation")
            seeds = json.dumps([{"repetitions": 3, "metadata": {"content": "c", "level": "l"}}])
            job = server.json(
                "POST",
                "/api/generate",
                files={"file": ("seeds.json", seeds, "application/json")},
                data={"pipeline_id": str(pipeline["id"])},
            )
            finished = server.wait_for_job(job["job_id"])
            seen["job_status"] = [finished["status"], str(finished["succeeded"])]
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.on(
                    "request",
                    lambda r: (
                        seen["outside"].append(r.url)
                        if urlparse(r.url).hostname not in ("127.0.0.1", None)
                        and not r.url.startswith(("data:", "blob:"))
                        else None
                    ),
                )
                # a fetch aborted by the next navigation is not a network failure
                page.on(
                    "requestfailed",
                    lambda r: (
                        seen["failed"].append(f"{r.url}: {r.failure}")
                        if r.failure != "net::ERR_ABORTED"
                        else None
                    ),
                )
                page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
                visits = [
                    ("/pipelines", "page-pipelines"),
                    (f"/pipelines/{pipeline['id']}", "palette"),
                    ("/generator", "page-generator"),
                    (f"/review?job={job['job_id']}", "record-card"),
                ]
                for path, testid in visits:
                    page.goto(server.url + path)
                    page.get_by_test_id(testid).first.wait_for(state="visible", timeout=20_000)
                    page.get_by_test_id("demo-banner").wait_for(state="visible", timeout=20_000)
                    seen["pages"].append(path)
                browser.close()
        finally:
            server.stop()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
