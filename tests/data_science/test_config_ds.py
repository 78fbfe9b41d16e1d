"""Data-science paths: project root detection, AIRNUB_DATA_DIR, and the cookiecutter-data-science layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.data_science.config_ds import PROJECT_ROOT, data_paths, find_project_root


def test_project_root_holds_pyproject_and_this_package() -> None:
    assert (PROJECT_ROOT / "pyproject.toml").is_file()
    assert (PROJECT_ROOT / "airnub_prefect_starter" / "data_science" / "config_ds.py").is_file()


def test_find_project_root_falls_back_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if any((folder / "pyproject.toml").is_file() for folder in tmp_path.parents):
        pytest.skip("a pyproject.toml sits above the temporary directory")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)

    assert find_project_root(tmp_path / "deep" / "er") == tmp_path


def test_find_project_root_picks_nearest_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "sub").mkdir(parents=True)

    assert find_project_root(tmp_path / "pkg" / "sub") == tmp_path


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


def test_data_paths_defaults_to_project_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("AIRNUB_DATA_DIR", raising=False)

    assert data_paths().data_dir == (PROJECT_ROOT / "data").resolve()
