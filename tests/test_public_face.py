"""The public face (``airnub_prefect_starter.api``): flows and the code ``airnub new`` writes import the package
only through it (Prefect's ``tests/public/`` idea), and it exports what it says, loading each name on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from airnub_prefect_starter import api
from airnub_prefect_starter.cli.main import app
from tests.support.project_copy import REPO_ROOT, copy_project
from tests.support.public_face import private_imports

DEPT = "face"


def test_flows_import_the_package_only_through_its_public_face() -> None:
    assert private_imports([REPO_ROOT / "flows"], REPO_ROOT) == []


def test_a_generated_department_imports_the_package_only_through_its_public_face(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    commands = [
        ["department", DEPT],
        ["category", DEPT, "ingestion", "files", "--kind", "downloads"],
        ["category", DEPT, "ingestion", "feeds", "--kind", "api"],
        ["category", DEPT, "ingestion", "pages", "--kind", "scrape"],
        ["category", DEPT, "ingestion", "checked", "--kind", "custom"],
        ["task", DEPT, "ingestion", "checked", "count_rows"],
    ]
    for command in commands:
        result = CliRunner().invoke(
            app,
            ["new", *command, "--project-dir", str(root)],
            env={"AIRNUB_CONFIG_DIR": str(root / "configs")},
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
    generated = [root / "flows" / f"dept_{DEPT}", root / "tests" / "flows" / f"dept_{DEPT}"]

    assert len([p for folder in generated for p in folder.rglob("*.py")]) >= 10
    assert private_imports(generated, root) == []


def test_the_check_catches_an_import_past_the_public_face(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(
        "from airnub_prefect_starter.api import run_stage\n"
        "from airnub_prefect_starter import api, tasks\n"
        "def f():\n"
        "    import airnub_prefect_starter.tasks.stage_runner\n"
    )

    assert private_imports([tmp_path], tmp_path) == [
        "flow.py:2 imports airnub_prefect_starter.tasks",
        "flow.py:4 imports airnub_prefect_starter.tasks.stage_runner",
    ]


@pytest.mark.parametrize("name", api.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(api, name) is not None


def test_the_public_face_names_exactly_what_it_exports() -> None:
    assert sorted(api._WHERE) == sorted(api.__all__) and len(set(api.__all__)) == len(api.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'load_settings'"):
        api.load_settings  # noqa: B018 - an internal name is not public


def test_config_names_load_without_prefect_or_the_data_science_stack() -> None:
    """A department's config models import section models from the face: ``airnub config validate`` must not pay
    for Prefect, and ingestion must not need the ``ds`` extra."""
    code = (
        "import sys\n"
        "from airnub_prefect_starter.api import DownloadsConfig, IngestionStageBase, ReportConfig, TabularConfig\n"
        "print(sorted(m for m in ('prefect', 'pandas', 'sklearn', 'matplotlib', 'polars') if m in sys.modules))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)

    assert shown.stdout.strip() == "[]"
