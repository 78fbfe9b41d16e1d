"""`airnub` as a new user meets it, in a fresh process inside a project checkout with nothing set up: the project's
own Prefect home (as `make demo` uses), the Prefect API named before a run, one-line errors, no telemetry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project_copy import copy_project, run_python

pytestmark = pytest.mark.slow

AIRNUB = "from airnub_prefect_starter.cli.main import app; app()"


def test_a_bare_airnub_run_uses_the_projects_prefect_home_and_says_so(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "ingestion.yaml"
    config.write_text("batch_size: 10\n", encoding="utf-8")
    env = {"HOME": str(home), "AIRNUB_DATA_DIR": str(tmp_path / "data")}
    fresh = ("PREFECT_", "DO_NOT_TRACK", "CI")  # a new user's shell: nothing chosen, not a CI machine

    missing = run_python(root, "-c", AIRNUB, "run", "project_alpha", "ingestion", drop_env=fresh, **env)
    ran = run_python(
        root, "-c", AIRNUB, "run", "project_alpha", "ingestion", "--config", str(config), drop_env=fresh, **env
    )

    assert missing.returncode == 2, missing.stderr
    assert "Traceback" not in missing.stderr
    assert [line for line in missing.stderr.splitlines() if line.startswith("error:")] == [
        "error: Prefect Variable 'dept_project_alpha_ingestion_config' is not set: run `airnub variables sync` or "
        "pass a config"
    ]
    assert f"Prefect API: none configured; starting a local one (PREFECT_HOME={root / '.prefect'}" in missing.stderr
    assert "the first run sets up its database" in missing.stderr
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "the first run sets up its database" not in ran.stderr
    assert (root / ".prefect" / "prefect.db").is_file()
    assert not (home / ".prefect").exists()
    assert not (root / ".prefect" / ".sdk_telemetry").exists()
