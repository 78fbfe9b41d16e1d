"""Stage and category flows built from a contract or a kind: the category flows a stage runs are the ones its
department's manifest lists (an entry whose module or flow is missing fails in one line), and a category flow
built from a kind carries the names it was given."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect import Flow

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.ingestion.config import IngestionStageBase
from airnub_prefect_starter.ingestion.contract import INGESTION
from airnub_prefect_starter.ingestion.kinds import DOWNLOADS, SCRAPE
from airnub_prefect_starter.tasks.category_flows import category_flow, kind_task
from airnub_prefect_starter.tasks.stage_flows import category_flows, stage_flow

DEPT = "found"
FLOW_MODULE = "from airnub_prefect_starter.api import DOWNLOADS, category_flow\n" + (
    'download_files_flow_dept_found = category_flow(DOWNLOADS, "found", "files", name="Files", task_name="Get")\n'
)


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An importable department package ``found_department`` whose manifest lists ingestion category ``files``."""
    root = tmp_path / "found_department"
    (root / "ingestion" / "files").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / f"categories_dept_{DEPT}.yaml").write_text(
        f"department: {DEPT}\nstages:\n  ingestion:\n    files: downloads\n  processing: {{}}\n  analysis: {{}}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [n for n in sys.modules if n.split(".")[0] == "found_department"]:
        del sys.modules[name]


def test_a_stage_runs_the_category_flows_its_manifest_lists(package: Path) -> None:
    (package / "ingestion" / "files" / "download_files_flow_dept_found.py").write_text(FLOW_MODULE)

    found = category_flows(DEPT, "ingestion", package="found_department")
    built = stage_flow(INGESTION, DEPT, IngestionStageBase, name="Ingestion (Found)", flows=found)

    assert list(found) == ["files"] and found["files"].name == "Files"
    assert found["files"].fn.__name__ == "download_files_flow_dept_found"
    assert (built.name, built.fn.__name__) == ("Ingestion (Found)", "ingestion_flow_dept_found")
    assert category_flows(DEPT, "processing", package="found_department") == {}


def test_a_listed_category_without_its_module_or_flow_is_one_config_error(package: Path) -> None:
    with pytest.raises(ConfigError, match=r"stages\.ingestion\.files: module found_department\.ingestion\.files\."):
        category_flows(DEPT, "ingestion", package="found_department")

    (package / "ingestion" / "files" / "download_files_flow_dept_found.py").write_text("flow = None\n")
    with pytest.raises(ConfigError, match="has no flow download_files_flow_dept_found"):
        category_flows(DEPT, "ingestion", package="found_department")


def test_a_category_flow_of_a_kind_is_named_after_its_category_and_runs_its_tasks() -> None:
    pages = kind_task(SCRAPE, "Pages (Found)")
    scrape = category_flow("scrape", DEPT, "portal", name="Portal (Found)", tasks=[pages])
    files = category_flow(DOWNLOADS, DEPT, "files", name="Files (Found)", task_name="Get files (Found)")

    assert isinstance(scrape, Flow) and scrape.fn.__name__ == "scrape_portal_flow_dept_found"
    assert (
        scrape.fn.__annotations__["config"] is SCRAPE.section
        and files.fn.__annotations__["config"] is DOWNLOADS.section
    )
    with pytest.raises(ConfigError, match="category portal: give the name of its task"):
        category_flow(SCRAPE, DEPT, "portal", name="Portal (Found)")
    with pytest.raises(ConfigError, match="kind 'ftp': not one of downloads, api, scrape, tabular, report"):
        category_flow("ftp", DEPT, "portal", name="Portal (Found)", task_name="x")
