"""CLI tests: the real typer app, in-process, against the session's Prefect test server."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from airnub_prefect_starter.cli.main import app
from tests.support.project_copy import REPO_ROOT

REPO_CONFIGS = REPO_ROOT / "configs"


@pytest.fixture(autouse=True)
def _prefect(prefect_harness: None) -> None:
    return None


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's configs/ as AIRNUB_CONFIG_DIR (tests may break files in it)."""
    target = tmp_path / "configs"
    shutil.copytree(REPO_CONFIGS, target)
    monkeypatch.setenv("AIRNUB_CONFIG_DIR", str(target))
    return target


@pytest.fixture
def airnub() -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke
