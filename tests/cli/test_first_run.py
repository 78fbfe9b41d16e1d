"""`airnub` as a new user meets it, in a fresh process inside a project checkout with nothing set up: the project's
own Prefect home (as `make demo` uses), the Prefect API named before a run, one-line errors, no telemetry."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.http_server import LoopbackHTTPServer
from tests.support.project_copy import copy_project, project_env, run_python

pytestmark = pytest.mark.slow

AIRNUB = "from airnub_prefect_starter.cli.main import app; app()"


@pytest.mark.exclusive  # a fresh Prefect database migrates within the CLI's 90 s server-start budget
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


def run_on_a_terminal(root: Path, *args: str, drop_env: tuple[str, ...], **env: str) -> tuple[int, str]:
    """``python <args>`` in ``root`` with stdout and stderr on a pseudo-terminal: (exit code, what it showed)."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=root,
        env=project_env(root, drop=drop_env, COLUMNS="160", **env),
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child side closed: the process is done writing
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    return process.wait(timeout=240), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))


def test_airnub_run_shows_progress_on_a_terminal_and_a_table_when_wide(
    tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    root = copy_project(tmp_path / "project")
    url = http_server.serve("/files/a.csv", body=b"x,y\n1,2\n")
    config = tmp_path / "ingestion.yaml"
    config.write_text(
        "http: {allow_private_networks: true}\n"
        "scheduled_file_downloads:\n"
        "  data_source_name: files\n"
        "  local_artifacts_storage_base: downloads\n"
        f"  files_to_acquire: [{{name: a, url: '{url}'}}]\n",
        encoding="utf-8",
    )

    code, shown = run_on_a_terminal(
        root,
        "-c",
        AIRNUB,
        *("run", "project_alpha", "ingestion", "--config", str(config)),
        drop_env=("PREFECT_", "CI"),
        HOME=str(tmp_path / "home"),
        AIRNUB_DATA_DIR=str(tmp_path / "data"),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
    )

    assert code == 0, shown[-3000:]
    assert "Project Alpha / ingestion / scheduled_file_downloads" in shown  # the live progress bar
    assert "┃ category" in shown and "downloads/files/" in shown  # a table (wide terminal), paths data-dir relative
    assert "INFO" not in shown  # Prefect's INFO lines only with --verbose, as in `airnub demo`
