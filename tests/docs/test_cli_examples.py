"""The `airnub manifest ...` examples of docs/cli.md run as written, against a store holding what the demo stores
under those names (scikit-learn's iris.csv under two data sources), and exit 0."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from airnub_prefect_starter.cli.main import app
from tests.support.http_server import LoopbackHTTPServer
from tests.support.project_copy import REPO_ROOT
from tests.support.raw_inputs import ingest_raw, sklearn_iris_csv

CLI_PAGE = REPO_ROOT / "docs" / "cli.md"


def documented_manifest_commands() -> list[list[str]]:
    """Every ``airnub manifest ...`` line of the page's bash blocks, comments dropped."""
    blocks = re.findall(r"```bash\n(.*?)```", CLI_PAGE.read_text(encoding="utf-8"), flags=re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("airnub manifest ")]


def test_the_documented_manifest_examples_run_on_the_demos_data(
    http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    iris = sklearn_iris_csv()
    for source in ("project_alpha_demo_files", "project_alpha_demo_pages"):
        ingest_raw(http_server, f"/{source}/iris.csv", iris, data_source_name=source, name="iris")
    commands = documented_manifest_commands()

    results = {shlex.join(command): CliRunner().invoke(app, command) for command in commands}

    assert {"manifest list", "manifest show", "manifest verify"} <= {" ".join(c[:2]) for c in commands}
    assert {command: result.exit_code for command, result in results.items()} == dict.fromkeys(results, 0)
    shown = json.loads(results["manifest show f13ffa8f"].stdout)
    assert [o["object"]["data_source_name"] for o in shown["objects"]] == [
        "project_alpha_demo_files",
        "project_alpha_demo_pages",
    ]
