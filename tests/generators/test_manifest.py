"""The department manifest: its short and long category forms, and the modules rendered from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.manifest import (
    config_models_text,
    read_manifest,
    stage_wiring_text,
)
from airnub_prefect_starter.generators.naming import DepartmentNames

DEPT = DepartmentNames("beta", "Beta")


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "categories_dept_beta.yaml"
    path.write_text("department: beta\nstages:\n" + body, encoding="utf-8")
    return path


def test_long_and_short_forms_render_into_the_wiring_and_the_models(tmp_path: Path) -> None:
    manifest = read_manifest(
        write(
            tmp_path,
            "  ingestion:\n    files: downloads\n    pages: {kind: scrape, flow: crawl_pages_flow_dept_beta}\n"
            "  processing:\n    tables:\n      kind: manual\n      flow: parse_tables_flow_dept_beta\n"
            "      model: airnub_prefect_starter.processing.config.TabularFilesConfig\n",
        ),
        "beta",
    )

    wiring = stage_wiring_text(DEPT, "ingestion", manifest.categories("ingestion"))
    models = config_models_text(DEPT, manifest)

    assert '"files": download_files_flow_dept_beta,' in wiring
    assert '"pages": crawl_pages_flow_dept_beta,' in wiring
    assert "list[ItemOutcome]" in wiring
    assert '"tables": parse_tables_flow_dept_beta,' in stage_wiring_text(
        DEPT, "processing", manifest.categories("processing")
    )
    assert "class ProcessingStageConfig(ProcessingStageBase):" in models
    assert "    tables: TabularFilesConfig | None = Field(\n" in models
    assert "    pages: WebPageLinkScrapingConfig | None = Field(\n" in models
    assert 'description="Category pages (kind scrape): skipped when absent.",' in models


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("{kind: manual, flow: x_flow_dept_beta}", "a manual category names its flow module and its section model"),
        ("{kind: api, model: pkg.mod.Model}", "only a manual category names its model"),
        (
            "{kind: ftp}",
            "stages.ingestion.x.kind: Input should be 'downloads', 'api', 'scrape', 'custom', 'tabular', 'report' "
            "or 'manual'",
        ),
        (
            "ftp",
            "stages.ingestion.x.kind: Input should be 'downloads', 'api', 'scrape', 'custom', 'tabular', 'report' "
            "or 'manual'",
        ),
    ],
)
def test_a_broken_entry_is_a_config_error_naming_it(tmp_path: Path, entry: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=r"stages\.ingestion\.x") as raised:
        read_manifest(write(tmp_path, f"  ingestion:\n    x: {entry}\n"), "beta")

    assert problem in str(raised.value)
