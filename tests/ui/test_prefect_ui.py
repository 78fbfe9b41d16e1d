"""The Prefect UI and the analysis report in a real browser.

A real Prefect server (SQLite in a temporary PREFECT_HOME) on a free port, ``airnub demo`` run against it in
another process, then headless Chromium (Debian's ``chromium``, driven by Playwright: no browser download)
opens the ingestion flow run, the file-downloads table artifact and the analysis HTML report.

Skipped when Chromium or Playwright is missing, except under CI, where it must run. With
``AIRNUB_UPDATE_SCREENSHOTS=1`` (``make docs-screenshots``) the screenshots replace the ones in
``docs/assets/screenshots/``; otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from airnub_prefect_starter.registry.config_files import load_stage_config_file
from tests.support.ports import free_port
from tests.support.project_copy import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_SCREENSHOTS = REPO_ROOT / "docs" / "assets" / "screenshots"
INGESTION_CONFIG = (
    REPO_ROOT / "configs" / "variables" / "dept_project_alpha" / "ingestion_config_dept_project_alpha.yaml"
)
INGESTION_FLOW = "Ingestion (Project Alpha)"
FILES_ARTIFACT_KEY = "project-alpha-scheduled-file-downloads"
VIEWPORT = {"width": 1440, "height": 900}
UI_TIMEOUT_MS = 60_000

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _require_browser() -> Any:
    """Playwright's sync API, or skip (fail under CI) when it or Chromium is missing."""
    problems = []
    if not CHROMIUM.is_file():
        problems.append(f"{CHROMIUM} not found (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
        problems.append("playwright is not installed (pip install -e '.[ui]')")
    if problems:
        message = "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(f"browser test must run in CI: {message}")
        pytest.skip(message)
    return sync_api


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any Prefect API or profile settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in {"PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILE"}}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", **extra)
    return env


@dataclass(frozen=True)
class PrefectServer:
    url: str
    log: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.api}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.api}{path}", timeout=30)
        response.raise_for_status()
        return response.json()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group this test started, then SIGKILL what is left of it."""
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[PrefectServer]:
    """``prefect server start`` on a free loopback port with its own SQLite database, stopped afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "prefect-server.log"
    env = _clean_env(
        PREFECT_HOME=str(tmp_path / "server-home"),
        PREFECT_UI_API_URL=f"{url}/api",  # else the UI calls the default port 4200
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
    )
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with everything it spawned
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Prefect server did not become healthy:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield PrefectServer(url, log)
    finally:
        _stop(process)


def _sklearn_sha256(filename: str) -> str:
    """The bytes scikit-learn ships (read through scikit-learn's package data, not through the demo code)."""
    return hashlib.sha256((importlib.resources.files("sklearn.datasets") / "data" / filename).read_bytes()).hexdigest()


def _expected_files() -> dict[str, str]:
    """``{name: sha256}`` of every file in the shipped scheduled_file_downloads config."""
    config = load_stage_config_file(INGESTION_CONFIG).model
    section = getattr(config, "scheduled_file_downloads", None)
    assert section is not None and section.files_to_acquire, "the demo config downloads no files"
    return {item.name: _sklearn_sha256(item.url.rsplit("/", 1)[-1]) for item in section.files_to_acquire}


def _run_demo(server: PrefectServer, tmp_path: Path) -> str:
    data_dir = tmp_path / "data"
    env = _clean_env(
        PREFECT_API_URL=server.api,
        PREFECT_HOME=str(tmp_path / "client-home"),
        AIRNUB_DATA_DIR=str(data_dir),
        AIRNUB_CONFIG_DIR=str(REPO_ROOT / "configs"),
        COLUMNS="200",
    )
    env.pop("AIRNUB_INDEX_URL", None)
    airnub = Path(sys.executable).with_name("airnub")
    result = subprocess.run(
        [str(airnub), "demo", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"airnub demo failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _ingestion_run(server: PrefectServer) -> dict[str, Any]:
    runs = server.post("/flow_runs/filter", {"flows": {"name": {"any_": [INGESTION_FLOW]}}})
    assert len(runs) == 1, f"expected one '{INGESTION_FLOW}' run, found {len(runs)}"
    assert runs[0]["state_type"] == "COMPLETED", runs[0]["state_type"]
    return dict(runs[0])


def _files_artifact(server: PrefectServer, ingestion_run_id: str) -> dict[str, Any]:
    """The file-downloads table artifact, checked to belong to a sub-flow run of the ingestion run."""
    artifacts = server.post("/artifacts/filter", {"artifacts": {"key": {"any_": [FILES_ARTIFACT_KEY]}}})
    assert len(artifacts) == 1 and artifacts[0]["type"] == "table", artifacts
    subflow = server.get(f"/flow_runs/{artifacts[0]['flow_run_id']}")
    parent_task = server.get(f"/task_runs/{subflow['parent_task_run_id']}")
    assert parent_task["flow_run_id"] == ingestion_run_id
    return dict(artifacts[0])


def _report_paths(demo_stdout: str) -> list[Path]:
    """Every ``report.html`` the demo printed (``Report  <path>  (Markdown: ...)``)."""
    found = [Path(p) for p in re.findall(r"^Report\s+(\S+\.html)", demo_stdout, flags=re.MULTILINE)]
    assert found, f"the demo printed no report path:\n{demo_stdout[-2000:]}"
    return found


def _screenshot_dir(tmp_path: Path) -> Path:
    target = DOCS_SCREENSHOTS if os.environ.get("AIRNUB_UPDATE_SCREENSHOTS") == "1" else tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target


def _shoot(page: Any, path: Path) -> None:
    page.wait_for_timeout(1500)  # let transitions and the run timeline settle
    page.screenshot(path=str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_prefect_ui_shows_completed_ingestion_artifact_and_report_figures(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    sync_api = _require_browser()
    expected = _expected_files()
    demo_stdout = _run_demo(prefect_server, tmp_path)
    run = _ingestion_run(prefect_server)
    artifact = _files_artifact(prefect_server, run["id"])
    reports = _report_paths(demo_stdout)
    shots = _screenshot_dir(tmp_path)

    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        try:
            page = context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)

            page.goto(f"{prefect_server.url}/runs/flow-run/{run['id']}")
            badge = page.locator(".state-badge").first
            sync_api.expect(badge).to_have_text("Completed", timeout=UI_TIMEOUT_MS)
            sync_api.expect(page.get_by_text(run["name"], exact=True).first).to_be_visible()
            sync_api.expect(page.get_by_text(INGESTION_FLOW).first).to_be_visible()
            _shoot(page, shots / "prefect-flow-run.png")

            page.goto(f"{prefect_server.url}/artifacts/artifact/{artifact['id']}")
            for name, sha256 in expected.items():
                row = page.locator("table tr", has=page.get_by_text(name, exact=True))
                sync_api.expect(row).to_have_count(1, timeout=UI_TIMEOUT_MS)
                sync_api.expect(row).to_contain_text(sha256)
                sync_api.expect(row).to_contain_text("stored")
            _shoot(page, shots / "prefect-artifact-table.png")

            for number, report in enumerate(reports):
                assert report.is_file(), f"{report} does not exist"
                page.goto(report.as_uri(), wait_until="load")
                sizes = page.evaluate(
                    """() => Promise.all(Array.from(document.images).map(img =>
                        img.decode().then(() => [img.alt, img.naturalWidth, img.naturalHeight],
                                          () => [img.alt, 0, 0])))"""
                )
                assert sizes, f"{report}: no <img> in the report"
                assert all(width > 0 and height > 0 for _alt, width, height in sizes), f"{report}: {sizes}"
                if number == 0:
                    page.locator("figure").first.evaluate("figure => figure.scrollIntoView({block: 'start'})")
                    _shoot(page, shots / "analysis-report.png")
        finally:
            context.close()
