"""Environment failures through the CLI as a user meets them, in a fresh process: one line on stderr naming what is
wrong and what to do, exit 2, before any work starts."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.project_copy import REPO_ROOT, run_python
from tests.support.s3_server import S3Server

pytestmark = pytest.mark.slow

AIRNUB = "from airnub_prefect_starter.cli.main import app; app()"


@pytest.mark.parametrize(
    "command",
    [
        ("run", "project_alpha", "ingestion", "--category", "public_api_data"),
        ("run", "project_alpha", "ingestion", "--json"),
        ("demo", "--port", "0"),
        ("variables", "sync"),
        ("limits", "setup"),
    ],
    ids=["run", "run-json", "demo", "variables-sync", "limits-setup"],
)
def test_cli_reports_a_prefect_api_that_does_not_answer_in_one_line_when_it_is_stopped(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    assert_dead_api_is_one_line(tmp_path, command)


@pytest.mark.parametrize("command", [("manifest", "list"), ("manifest", "verify")], ids=["list", "verify"])
def test_cli_manifest_reports_a_prefect_api_that_does_not_answer_before_reading_the_index_url_secret_block(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    assert_dead_api_is_one_line(
        tmp_path, command, drop_env=("AIRNUB_INDEX_URL",), AIRNUB_INDEX_URL_SECRET_BLOCK="index-url"
    )


def assert_dead_api_is_one_line(
    tmp_path: Path, command: tuple[str, ...], drop_env: tuple[str, ...] = (), **env: str
) -> None:
    """``airnub <command>`` with PREFECT_API_URL at a port nothing listens on: exactly the one-line error, exit 2,
    nothing started or written."""
    api_url = f"http://127.0.0.1:{free_port()}/api"
    data = tmp_path / "data"

    result = run_python(
        REPO_ROOT,
        "-c",
        AIRNUB,
        *command,
        drop_env=drop_env,
        PREFECT_API_URL=api_url,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        AIRNUB_DATA_DIR=str(data),
        **env,
    )

    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.splitlines() == [
        f"error: Prefect API {api_url} does not answer (connection refused): start it with `prefect server start`, "
        "or unset PREFECT_API_URL to use a local one"
    ]
    assert not data.exists()  # nothing was started or written


def test_cli_run_reports_a_missing_bucket_before_a_local_prefect_api_is_started(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, str]
) -> None:
    home = tmp_path / "prefect-home"
    data_url = f"s3://airnub-no-such-bucket-{uuid.uuid4().hex[:8]}/data"

    result = run_python(
        REPO_ROOT,
        "-c",
        AIRNUB,
        "run",
        "project_alpha",
        "ingestion",
        drop_env=("PREFECT_API_URL",),
        PREFECT_HOME=str(home),
        AIRNUB_DATA_DIR=data_url,
        AIRNUB_INDEX_URL=f"sqlite:///{tmp_path / 'index.sqlite3'}",
    )

    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {data_url}: no such bucket (or key) (HTTP 404) (endpoint {s3_server.endpoint})"
    ]
    assert not (home / "prefect.db").exists()  # no local Prefect API was started
