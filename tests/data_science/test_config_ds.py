"""Data-science paths: AIRNUB_DATA_DIR and the cookiecutter-data-science layout (the project root from any folder:
tests/common/test_project.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.common.project import find_project_root
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.data_science.config_ds import data_paths


def test_data_paths_layout_under_explicit_dir(tmp_path: Path) -> None:
    paths = data_paths(tmp_path / "d")

    assert paths.data_dir == tmp_path / "d"
    assert (paths.raw, paths.interim, paths.processed, paths.external) == tuple(
        tmp_path / "d" / n for n in ("raw", "interim", "processed", "external")
    )
    assert paths.models == tmp_path / "d" / "models" and paths.figures == tmp_path / "d" / "reports" / "figures"
    assert not paths.data_dir.exists()


def test_data_paths_ensure_creates_every_folder(tmp_path: Path) -> None:
    paths = data_paths(tmp_path / "d").ensure()

    assert all(folder.is_dir() for folder in paths.all())


def test_data_paths_reads_env_when_called(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIRNUB_DATA_DIR", "elsewhere")

    assert data_paths().data_dir == tmp_path / "elsewhere"


def test_data_paths_defaults_to_the_data_dir_airnub_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if find_project_root(tmp_path) is not None:
        pytest.skip("a project marker sits above the temporary directory")
    monkeypatch.chdir(tmp_path)  # no project, no .env here: the working directory stands in for the root
    monkeypatch.delenv("AIRNUB_DATA_DIR", raising=False)

    assert data_paths().data_dir == tmp_path / "data" == load_settings().resolved_data_dir
