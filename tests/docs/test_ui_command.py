"""The command the docs give for the Prefect UI on the demo's database starts the server with analytics off
(offline, Prefect's server otherwise logs a telemetry error every 10 minutes)."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
UI_COMMAND = re.compile(r"PREFECT_HOME=\.prefect [^`\n]*prefect server start")


def test_the_documented_ui_command_turns_server_analytics_off() -> None:
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    commands = {(page.name, match.group(0)) for page in pages for match in UI_COMMAND.finditer(page.read_text("utf-8"))}

    assert (
        "README.md",
        "PREFECT_HOME=.prefect PREFECT_SERVER_ANALYTICS_ENABLED=false .venv/bin/prefect server start",
    ) in commands
    assert [c for c in commands if "PREFECT_SERVER_ANALYTICS_ENABLED=false" not in c[1]] == []
