"""The project root from any folder: one `.env`, one data dir for `airnub` at the root and a notebook below it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from airnub_prefect_starter.common.project import find_project_root, project_root_or_cwd
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.data_science.config_ds import data_paths
from tests.support.project_copy import REPO_ROOT


def _outside_any_project(folder: Path) -> None:
    if find_project_root(folder.parent) is not None:
        pytest.skip("a project marker sits above the temporary directory")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout: configs/department_mapping.yaml, a .env naming a relative data dir, notebooks/ and docs/api/."""
    _outside_any_project(tmp_path)
    root = tmp_path / "checkout"
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "department_mapping.yaml").write_text("departments: {}\n", encoding="utf-8")
    (root / "notebooks").mkdir()
    (root / "docs" / "api").mkdir(parents=True)
    (root / ".env").write_text("AIRNUB_DATA_DIR=shared-data\n", encoding="utf-8")
    monkeypatch.delenv("AIRNUB_DATA_DIR", raising=False)
    monkeypatch.delenv("AIRNUB_INDEX_URL", raising=False)
    return root


@pytest.mark.parametrize("marker", ["pyproject.toml", "configs/department_mapping.yaml"])
def test_find_project_root_walks_up_to_the_nearest_marker(tmp_path: Path, marker: str) -> None:
    _outside_any_project(tmp_path)
    (tmp_path / "outer" / "inner" / "a" / "b").mkdir(parents=True)
    (tmp_path / "outer" / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "outer" / "inner" / marker).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "outer" / "inner" / marker).write_text("", encoding="utf-8")

    assert find_project_root(tmp_path / "outer" / "inner" / "a" / "b") == tmp_path / "outer" / "inner"
    assert find_project_root(tmp_path / "outer") == tmp_path / "outer"
    assert find_project_root(tmp_path) is None


def test_a_folder_named_like_a_marker_makes_no_project(tmp_path: Path) -> None:
    _outside_any_project(tmp_path)
    (tmp_path / "pyproject.toml").mkdir()
    (tmp_path / "configs" / "department_mapping.yaml").mkdir(parents=True)

    assert find_project_root(tmp_path) is None


def test_outside_a_project_the_working_directory_stands_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _outside_any_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIRNUB_DATA_DIR", "elsewhere")

    assert project_root_or_cwd() == tmp_path
    assert load_settings().resolved_data_dir == tmp_path / "elsewhere"


def test_this_repository_is_its_own_project_root() -> None:
    assert find_project_root(REPO_ROOT / "airnub_prefect_starter" / "common") == REPO_ROOT


@pytest.mark.parametrize("folder", [".", "notebooks", "docs/api"])
def test_settings_and_data_paths_read_the_root_env_from_any_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    monkeypatch.chdir(project / folder)

    assert load_settings().resolved_data_dir == project / "shared-data"
    assert data_paths().data_dir == project / "shared-data"
    assert data_paths().processed == project / "shared-data" / "processed"


def test_the_environment_wins_over_the_env_file_and_is_relative_to_the_root(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "notebooks")
    monkeypatch.setenv("AIRNUB_DATA_DIR", "other")

    assert data_paths().data_dir == project / "other"


def test_without_a_data_dir_setting_the_default_is_the_roots_data(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / ".env").unlink()
    monkeypatch.chdir(project / "docs" / "api")

    assert data_paths().data_dir == project / "data" == load_settings().resolved_data_dir


#: ``airnub`` as a console script runs it (this checkout's package first on the path).
AIRNUB = ["-c", "from airnub_prefect_starter.cli.main import app; app(prog_name='airnub')"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRNUB_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_a_notebook_folder_sees_the_data_dir_airnub_uses_at_the_root(project: Path) -> None:
    """`airnub manifest list` at the root names the index in the data dir; a process started in notebooks/ (as a
    Jupyter kernel is) finds the same data dir, and so does `airnub` run from there."""
    at_root = _run([*AIRNUB, "manifest", "list"], cwd=project)
    in_notebooks = _run([*AIRNUB, "manifest", "list"], cwd=project / "notebooks")
    kernel = _run(
        ["-c", "from airnub_prefect_starter.data_science.config_ds import data_paths; print(data_paths().data_dir)"],
        cwd=project / "notebooks",
    )

    index = project / "shared-data" / "manifest_index.sqlite3"
    assert at_root.returncode == 2 and f"no manifest index at {index} " in at_root.stderr
    assert in_notebooks.returncode == 2 and f"no manifest index at {index} " in in_notebooks.stderr
    assert kernel.returncode == 0, kernel.stderr
    assert kernel.stdout.strip() == str(project / "shared-data")


def test_data_dir_option_is_relative_to_where_it_is_typed(tmp_path: Path) -> None:
    from airnub_prefect_starter.cli.main import data_dir_option

    assert data_dir_option("out", tmp_path / "sub") == str(tmp_path / "sub" / "out")
    assert data_dir_option(str(tmp_path / "abs"), tmp_path / "sub") == str(tmp_path / "abs")
    assert data_dir_option("~/d", tmp_path) == "~/d"
    assert data_dir_option("s3://bucket/team", tmp_path) == "s3://bucket/team"
    assert data_dir_option("gs://bucket/team", tmp_path) == "gs://bucket/team"  # refused later, not made a folder
