"""``airnub demo`` on another port: the same bytes from new URLs are nothing new for processing and analysis, and
a report's lineage lists each raw input once, however many URLs served it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.support.ports import free_port


def raw_input_rows(report_md: Path) -> list[str]:
    """The rows of the report's "Raw inputs" table (sha256 first)."""
    section = report_md.read_text(encoding="utf-8").split("### Raw inputs", 1)[1]
    return re.findall(r"^\| ([0-9a-f]{64}) \|.*$", section, flags=re.MULTILINE)


def test_demo_on_another_port_leaves_processing_and_analysis_unchanged(
    airnub: Callable[..., Result], config_dir: Path, data_dir: Path
) -> None:
    first = airnub("demo", "--port", str(free_port()))
    report = data_dir / "reports" / "iris" / "report.md"
    rows_before = raw_input_rows(report)
    outputs = {
        p: p.stat().st_mtime_ns
        for p in data_dir.rglob("*")
        if p.is_file() and p.parts[len(data_dir.parts)] in {"processed", "models", "reports"}
    }

    second = airnub("demo", "--port", str(free_port()))

    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    assert "0 stored, 0 unchanged, 11 duplicate, 0 failed" in second.stdout  # new URLs, the same bytes
    assert "0 built, 4 unchanged, 0 failed" in second.stdout
    assert "0 analysed, 2 unchanged, 0 failed" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in outputs} == outputs  # nothing rewritten
    assert len(rows_before) == len(set(rows_before)) >= 1  # each raw input once

    # Analysed again (its record gone), the report still lists each raw input once, not once per URL.
    (data_dir / "reports" / "iris" / "analysis.json").unlink()
    again = airnub("run", "project_alpha", "analysis", "--json")

    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["counts"]["analysed"] == 1
    assert raw_input_rows(report) == rows_before
