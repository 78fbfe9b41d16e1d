"""The deployment pull step: every deployment run starts in the project directory, on any worker."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.tasks.pull_steps import enter_project_dir
from tests.support.project_copy import REPO_ROOT

ROOT = REPO_ROOT


@pytest.fixture(autouse=True)
def _restore_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # the step changes directory; monkeypatch restores the original afterwards
    monkeypatch.delenv("AIRNUB_PROJECT_DIR", raising=False)


def test_enter_project_dir_uses_airnub_project_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    project = tmp_path / "image" / "opt" / "airnub"
    (project / "flows").mkdir(parents=True)
    monkeypatch.setenv("AIRNUB_PROJECT_DIR", str(project))

    output = enter_project_dir()

    assert output == {"directory": str(project.resolve())}
    assert Path.cwd() == project.resolve()


def test_enter_project_dir_rejects_directory_without_flows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIRNUB_PROJECT_DIR", str(tmp_path))

    with pytest.raises(ConfigError, match=r"AIRNUB_PROJECT_DIR=.*: no flows/ folder there"):
        enter_project_dir()

    assert Path.cwd() == tmp_path


def test_enter_project_dir_defaults_to_checkout_of_installed_flows() -> None:
    output = enter_project_dir()

    assert output == {"directory": str(ROOT)}
    assert Path.cwd() == ROOT and (ROOT / "prefect.yaml").is_file()


def test_enter_project_dir_explains_what_to_set_when_flows_are_not_from_a_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site_packages = tmp_path / "site-packages"
    (site_packages / "flows").mkdir(parents=True)
    (site_packages / "flows" / "__init__.py").write_text("")
    spec = importlib.util.spec_from_file_location(
        "flows", site_packages / "flows" / "__init__.py", submodule_search_locations=[str(site_packages / "flows")]
    )
    assert spec is not None
    monkeypatch.setitem(sys.modules, "flows", importlib.util.module_from_spec(spec))

    with pytest.raises(ConfigError, match="set AIRNUB_PROJECT_DIR in the worker's environment"):
        enter_project_dir()

    assert os.getcwd() == str(tmp_path)
