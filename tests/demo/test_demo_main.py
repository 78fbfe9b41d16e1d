"""``python -m airnub_prefect_starter.demo``: serves until interrupted, picks its port, fails clearly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.demo.__main__ import main
from airnub_prefect_starter.demo.server import DEFAULT_DEMO_PORT, demo_port_from_env
from tests.demo.conftest import sklearn_bytes


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_demo_module_serves_until_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "airnub_prefect_starter.demo", "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stderr is not None
        base_url = None
        for line in process.stderr:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                base_url = found.group(1)
                break
        assert base_url is not None, "the demo never said where it listens"

        response = httpx.get(f"{base_url}/files/iris.csv", timeout=10.0)
        process.send_signal(signal.SIGINT)
        remaining = process.communicate(timeout=30)[1]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert response.content == sklearn_bytes("iris.csv")
    assert process.returncode == 0
    assert "stopped" in remaining


@pytest.mark.parametrize(
    ("environ", "port"),
    [({}, DEFAULT_DEMO_PORT), ({"AIRNUB_DEMO_PORT": "0"}, 0), ({"AIRNUB_DEMO_PORT": " 19000 "}, 19000)],
)
def test_demo_port_from_env_reads_variable_or_default(environ: dict[str, str], port: int) -> None:
    assert demo_port_from_env(environ) == port


@pytest.mark.parametrize("value", ["abc", "-1", "70000"])
def test_demo_port_from_env_rejects_non_ports(value: str) -> None:
    with pytest.raises(ConfigError, match=rf"AIRNUB_DEMO_PORT: must be a port number .*{value}"):
        demo_port_from_env({"AIRNUB_DEMO_PORT": value})


def test_demo_main_exits_1_naming_taken_port(taken_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--port", str(taken_port)])

    assert caught.value.code == 1
    assert f"port {taken_port} is already in use" in capsys.readouterr().err
