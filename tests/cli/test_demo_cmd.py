"""``airnub demo`` runs Project Alpha (ingestion -> processing -> analysis) against the bundled source; the second
run changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.support.ports import free_port


def test_demo_runs_three_stages_and_a_second_run_does_no_work(
    airnub: Callable[..., Result], config_dir: Path, data_dir: Path
) -> None:
    port = str(free_port())  # the same address both times, as for a user: URLs are the identity of a source
    first = airnub("demo", "--port", port)
    files = {p: p.stat().st_mtime_ns for p in data_dir.rglob("*") if p.is_file() and "sqlite3" not in p.name}
    second = airnub("demo", "--port", port)

    assert first.exit_code == 0, first.stderr
    assert "11 stored, 0 unchanged, 0 duplicate, 0 failed" in first.stdout
    assert "4 built, 0 unchanged, 0 failed" in first.stdout
    assert "2 analysed, 0 unchanged, 0 failed" in first.stdout
    root = data_dir.resolve()
    for shown in (
        f"Dataset         {root / 'processed' / 'iris.parquet'}  (150 rows, 0 quarantined)",
        f"Model           {root / 'models' / 'wine' / 'wine_logistic_regression.joblib'}",
        f"Figures         {root / 'reports' / 'figures'}",
        f"Report          {root / 'reports' / 'iris' / 'report.html'}",
    ):
        assert shown in first.stdout, shown
    assert len(list((root / "reports" / "figures").glob("*.png"))) == 6
    assert second.exit_code == 0, second.stderr
    assert "0 stored, 11 unchanged, 0 duplicate, 0 failed" in second.stdout
    assert "0 built, 4 unchanged, 0 failed" in second.stdout
    assert "0 analysed, 2 unchanged, 0 failed" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in files} == files  # no stage rewrote anything
    assert "Manifest index" in second.stdout and "Stage wall times: ingestion" in second.stdout
