"""With no network but loopback, the app loads and works, and no request leaves 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import CHROMIUM, WEB_INDEX

pytestmark = pytest.mark.e2e
PROBE = Path(__file__).with_name("offline_probe.py")


def test_app_works_with_only_loopback() -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs root, unshare and ip to make a loopback-only network namespace")
    assert WEB_INDEX.is_file(), "the web UI is not built"
    assert Path(CHROMIUM).exists(), f"Chromium missing at {CHROMIUM}"
    no_route = subprocess.run(
        [
            "unshare",
            "-n",
            sys.executable,
            "-c",
            "import socket; s = socket.socket(); s.settimeout(2); s.connect(('1.1.1.1', 443))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert no_route.returncode != 0, "the namespace should have no route out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "HTTP", "http"))}
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, str(PROBE)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["job_status"] == ["completed", "3"]
    assert len(seen["pages"]) == 4
    assert seen["outside"] == [], f"requests left 127.0.0.1: {seen['outside']}"
    assert seen["failed"] == [], f"requests failed offline: {seen['failed']}"
    assert seen["errors"] == [], f"page errors: {seen['errors']}"
