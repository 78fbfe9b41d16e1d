"""The "Next" section of docs/getting-started.md works as written after `make demo`: the demo source started as the
page says, then the documented `airnub run` exits 0; without the source, the run says how to start it.

What `make demo` leaves behind is set up first: the Project Alpha Variables, pointing at the demo source. The source
listens on a free port here (``AIRNUB_DEMO_PORT``, which the documented command reads): two test runs may share the
machine."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from airnub_prefect_starter.cli.demo_cmd import DEMO_DEPARTMENT, _rebased
from airnub_prefect_starter.cli.main import app
from airnub_prefect_starter.cli.variables_cmd import load_all_config_files, sync_variables
from tests.support.ports import free_port
from tests.support.project_copy import REPO_ROOT, project_env

PAGE = REPO_ROOT / "docs" / "getting-started.md"


def next_section_commands() -> list[list[str]]:
    """Every command line of the bash blocks in the page's "Next" section, comments dropped."""
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index("\n## Next\n") :]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line]


def sync_demo_variables(port: int) -> None:
    """The Variables `make demo` sets, for a demo source on ``port``."""
    files = [f for f in load_all_config_files() if f.department == DEMO_DEPARTMENT]
    sync_variables([_rebased(f, f"http://127.0.0.1:{port}") for f in files], dry_run=False, overwrite=True)


def test_getting_started_next_section_runs_as_written_after_the_demo(
    prefect_harness: None, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve, run = next_section_commands()
    port = free_port()
    monkeypatch.setenv("AIRNUB_DEMO_PORT", str(port))
    sync_demo_variables(port)
    assert serve[0] == ".venv/bin/python" and run[0] == ".venv/bin/airnub"

    source = subprocess.Popen(
        [sys.executable, *serve[1:]],
        cwd=REPO_ROOT,
        env=project_env(REPO_ROOT, AIRNUB_DEMO_PORT=str(port)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert source.stderr is not None
        started = ""
        while "listening on" not in started:  # the second terminal shows this before the user goes on
            line = source.stderr.readline()
            assert line, f"the demo source ended: {started}"
            started += line
        result = CliRunner().invoke(app, run[1:])
    finally:
        source.terminate()
        source.wait(timeout=30)

    assert result.exit_code == 0, result.stderr[-3000:]
    assert "2 stored, 0 unchanged, 0 duplicate, 0 failed" in result.stdout


def test_getting_started_next_run_without_the_demo_source_says_how_to_start_it(
    prefect_harness: None, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve, run = next_section_commands()
    port = free_port()  # nothing listens there
    monkeypatch.setenv("AIRNUB_DEMO_PORT", str(port))
    sync_demo_variables(port)

    result = CliRunner().invoke(app, run[1:])

    assert result.exit_code == 1
    assert "cannot connect (ConnectError: [Errno 111] Connection refused)" in result.stdout
    assert result.stderr.splitlines()[-1] == (
        f"hint: the demo source at http://127.0.0.1:{port} is not running (`airnub demo` stops it when it ends): "
        "start it in another terminal with `python -m airnub_prefect_starter.demo` and run this again"
    )
