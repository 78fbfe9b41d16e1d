"""The "Process your own data" walk-through of docs/data-science.md, command by command, in a copy of the
project: a CSV served on loopback becomes a stored object, a declared Parquet dataset (with an exact quarantine)
and a report with figures and metrics, without writing Python; a second round of runs does no work."""

from __future__ import annotations

import importlib
import json
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from airnub_prefect_starter.cli.main import app
from tests.support.http_server import LoopbackHTTPServer
from tests.support.project_copy import REPO_ROOT, copy_project, run_python

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

WALKTHROUGH = REPO_ROOT / "docs" / "data-science.md"
DOC_URL = "http://127.0.0.1:8000/orders.csv"
DEPT = "shop"
CHANNELS = ("web", "shop", "phone")
#: 60 good rows (the channel follows the item count, so a classifier can learn it) and 2 with a missing field.
GOOD_ROWS = [f"{n},{3.5 + 2 * n - (n % 7) * 0.5},{1 + n % 6},{CHANNELS[(n % 6) // 2]}" for n in range(1, 61)]
BODY = "order_id,amount,items,channel\n" + "\n".join([*GOOD_ROWS[:30], "61,12.5", *GOOD_ROWS[30:], "62,4"]) + "\n"


def walkthrough_commands() -> list[list[str]]:
    """The ``airnub`` command lines of the walk-through's first bash block, without ``airnub``."""
    section = WALKTHROUGH.read_text(encoding="utf-8").split("## Process your own data", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line)[1:] for line in block.splitlines() if line.startswith("airnub ")]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[Path]:
    """A project copy as the working directory, its configs and its ``flows.dept_shop`` in use."""
    import flows

    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("AIRNUB_CONFIG_DIR", str(root / "configs"))
    monkeypatch.setattr(flows, "__path__", [str(root / "flows"), *flows.__path__])
    importlib.invalidate_caches()
    yield root
    forget_generated_modules()


def forget_generated_modules() -> None:
    """Drop ``flows.dept_shop`` from this process, as a new ``airnub`` process would not have it (a later
    ``airnub new`` rewrites its config models and wiring)."""
    for name in [n for n in sys.modules if n == f"flows.dept_{DEPT}" or n.startswith(f"flows.dept_{DEPT}.")]:
        del sys.modules[name]


@pytest.mark.usefixtures("prefect_harness")
def test_the_walkthrough_turns_a_served_csv_into_a_dataset_and_a_report(
    project: Path, data_dir: Path, http_server: LoopbackHTTPServer
) -> None:
    url = http_server.serve("/orders.csv", body=BODY.encode(), etag='"v1"')
    commands = [[url if arg == DOC_URL else arg for arg in command] for command in walkthrough_commands()]
    runner = CliRunner()
    assert [c[:2] for c in commands] == [
        ["new", "department"],
        ["new", "category"],
        ["run", DEPT],
        ["new", "category"],
        ["run", DEPT],
        ["new", "category"],
        ["run", DEPT],
    ]

    for command in commands:
        forget_generated_modules()
        result = runner.invoke(app, command, catch_exceptions=False)
        assert result.exit_code == 0, f"airnub {shlex.join(command)}\n{result.output}"

    dataset = data_dir / "dept_shop" / "processed" / "order_rows.parquet"
    table = pq.read_table(dataset)
    assert table.column_names == ["order_id", "amount", "items", "channel"]
    assert sorted(table.column("order_id").to_pylist()) == list(range(1, 61))
    manifest = json.loads(
        (data_dir / "dept_shop" / "processed" / "order_rows.dataset.json").read_text(encoding="utf-8")
    )
    assert (manifest["rows_in"], manifest["rows_out"], manifest["rows_quarantined"]) == (62, 60, 2)
    assert manifest["quarantine_counts"] == {"field_count": 2}
    quarantine = (data_dir / "dept_shop" / "processed" / "order_rows.quarantine.csv").read_text(encoding="utf-8")
    assert [line.split(",")[3] for line in quarantine.splitlines()[1:]] == ["field_count", "field_count"]

    report = (data_dir / "dept_shop" / "reports" / "order_rows" / "report.html").read_text(encoding="utf-8")
    metrics = json.loads(
        (data_dir / "dept_shop" / "models" / "order_rows" / "metrics.json").read_text(encoding="utf-8")
    )
    assert metrics["metrics"]["labels"] == ["phone", "shop", "web"]
    assert metrics["metrics"]["n_test"] == 15 and metrics["metrics"]["accuracy"] >= 0.8
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', report)) == 3
    assert "Metrics (held-out split)" in report and "Descriptive statistics" in report
    assert url in report  # lineage back to the source URL

    generated = [f"flows/dept_{DEPT}/{stage}" for stage in ("processing", "analysis")]
    # In one process (-n 0): three tests do not pay for the start of two xdist workers, each with its own harness.
    tests = run_python(
        project, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *(f"tests/{g}" for g in generated)
    )
    lint = run_python(project, "-m", "ruff", "check", "--no-cache", *generated, *(f"tests/{g}" for g in generated))
    formatting = run_python(project, "-m", "ruff", "format", "--check", "--no-cache", *generated)
    assert tests.returncode == 0 and re.search(r"\b3 passed\b", tests.stdout), tests.stdout[-3000:]
    assert lint.returncode == 0, lint.stdout
    assert formatting.returncode == 0, formatting.stdout

    again = [
        runner.invoke(app, [*command, "--json"], catch_exceptions=False) for command in commands if command[0] == "run"
    ]

    assert [r.exit_code for r in again] == [0, 0, 0]
    assert [[item["status"] for item in json.loads(r.stdout)["items"]] for r in again] == [
        ["unchanged"],
        ["unchanged"],
        ["unchanged"],
    ]
