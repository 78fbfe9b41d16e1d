"""``airnub blocks setup`` and Secret blocks used by API polling; the setup scripts wrap the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from prefect.blocks.system import Secret
from prefect.settings import PREFECT_API_URL

from flows.dept_project_alpha.ingestion_flow_dept_project_alpha import ingestion_flow_dept_project_alpha
from tests.support.http_server import LoopbackHTTPServer
from tests.support.project_copy import REPO_ROOT

INGESTION = Path("variables/dept_project_alpha/ingestion_config_dept_project_alpha.yaml")
REPO = REPO_ROOT


def reference_secret(config_dir: Path, block: str) -> None:
    path = config_dir / INGESTION
    data = yaml.safe_load(path.read_text())
    data["public_api_data"]["apis_to_poll"][0]["auth_secret_block"] = block
    path.write_text(yaml.safe_dump(data))


def api_config(server: LoopbackHTTPServer, block: str) -> dict[str, Any]:
    return {
        "http": {"allow_private_networks": True, "retries": 0},
        "public_api_data": {
            "data_source_name": "secured",
            "apis_to_poll": [
                {"name": "secured", "url": server.serve("/secured", body=b"{}"), "auth_secret_block": block}
            ],
        },
    }


def test_blocks_setup_creates_secret_from_environment(
    airnub: Callable[..., Result], config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference_secret(config_dir, "alpha-api-token")
    monkeypatch.setenv("AIRNUB_SECRET_ALPHA_API_TOKEN", "t0ken-value")

    result = airnub("blocks", "setup")

    assert result.exit_code == 0, result.stderr
    assert "alpha-api-token (from AIRNUB_SECRET_ALPHA_API_TOKEN)" in result.stdout
    assert "t0ken-value" not in result.stdout + result.stderr
    assert Secret.load("alpha-api-token").get() == "t0ken-value"


def test_api_poll_sends_secret_as_bearer_token(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    Secret(value="s3cret").save("poll-token", overwrite=True)

    state = ingestion_flow_dept_project_alpha(config=api_config(http_server, "poll-token"), return_state=True)

    assert state.is_completed()
    assert http_server.request_headers["/secured"][0]["Authorization"] == "Bearer s3cret"


def test_blocks_setup_creates_placeholder_that_polling_refuses_to_send(
    airnub: Callable[..., Result], config_dir: Path, http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    reference_secret(config_dir, "never-set-token")

    result = airnub("blocks", "setup")
    state = ingestion_flow_dept_project_alpha(config=api_config(http_server, "never-set-token"), return_state=True)

    assert "placeholder" in result.stdout and "AIRNUB_SECRET_NEVER_SET_TOKEN" in result.stdout
    assert state.is_failed()
    assert "never-set-token' still holds the placeholder" in str(state.message)
    assert http_server.hits["/secured"] == 0


def test_setup_scripts_wrap_the_cli(config_dir: Path) -> None:
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "AIRNUB_CONFIG_DIR": str(config_dir)}

    variables = subprocess.run(
        [sys.executable, "scripts/setup_prefect_variables.py", "--dry-run"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    blocks = subprocess.run(
        [sys.executable, "scripts/setup_prefect_blocks.py", "--dry-run"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert variables.returncode == 0, variables.stderr
    assert "dept_project_alpha_ingestion_config" in variables.stdout
    assert blocks.returncode == 0, blocks.stderr
    assert "no Secret blocks are referenced" in blocks.stdout
