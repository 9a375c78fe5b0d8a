"""Choosing an executor: local by default, Ray on request, and a clear error without Ray."""

from __future__ import annotations

import sys

import pytest

from datagenflow.errors import DataGenFlowError
from datagenflow.jobs.executors import LocalExecutor, make_executor
from datagenflow.settings import Settings


def test_local_is_the_default() -> None:
    assert isinstance(make_executor(Settings()), LocalExecutor)
    assert make_executor(Settings(datagenflow_executor="ray"), "local").name == "local"


def test_ray_without_ray_installed_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if not installed
    monkeypatch.delitem(sys.modules, "datagenflow.jobs.ray_executor", raising=False)
    with pytest.raises(DataGenFlowError) as refused:
        make_executor(Settings(datagenflow_executor="ray"))
    assert "pip install 'datagenflow[ray]'" in refused.value.message


def test_choosing_ray_does_not_start_it() -> None:
    """Ray starts (or is reached) at the first job, not when the server starts."""
    pytest.importorskip("ray")
    import ray

    executor = make_executor(Settings(datagenflow_executor="ray"))
    assert executor.name == "ray"
    assert not ray.is_initialized()
