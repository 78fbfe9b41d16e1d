"""The department manifest: its short and long category forms, and the modules rendered from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.manifest import (
    CORE_MODELS,
    config_models_text,
    read_manifest,
)
from airnub_prefect_starter.generators.naming import DepartmentNames
from airnub_prefect_starter.registry.manifest import category_flow_module

DEPT = DepartmentNames("beta", "Beta")


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "categories_dept_beta.yaml"
    path.write_text("department: beta\nstages:\n" + body, encoding="utf-8")
    return path


def test_long_and_short_forms_name_the_flow_modules_and_render_into_the_models(tmp_path: Path) -> None:
    manifest = read_manifest(
        write(
            tmp_path,
            "  ingestion:\n    files: downloads\n    pages: {kind: scrape, flow: crawl_pages_flow_dept_beta}\n"
            "  processing:\n    tables:\n      kind: manual\n      flow: parse_tables_flow_dept_beta\n"
            "      model: my_package.sections.TablesConfig\n    rows: tabular\n",
        ),
        "beta",
    )

    models = config_models_text(DEPT, manifest)

    assert {c: category_flow_module("beta", c, e) for c, e in manifest.categories("ingestion").items()} == {
        "files": "download_files_flow_dept_beta",
        "pages": "crawl_pages_flow_dept_beta",
    }
    assert [category_flow_module("beta", c, e) for c, e in manifest.categories("processing").items()] == [
        "parse_tables_flow_dept_beta",
        "parse_rows_flow_dept_beta",
    ]
    assert "class ProcessingStageConfig(ProcessingStageBase):" in models
    assert "from my_package.sections import (\n    TablesConfig,\n)\n" in models
    assert "    tables: TablesConfig | None = Field(\n" in models
    assert "    rows: TabularConfig | None = Field(\n" in models
    assert "    pages: ScrapeConfig | None = Field(\n" in models
    assert 'description="Category pages (kind scrape): skipped when absent.",' in models
    assert "from airnub_prefect_starter.api import (\n" in models and "airnub_prefect_starter.ingestion" not in models


def test_every_stock_kind_is_a_registered_kind_whose_section_model_is_public() -> None:
    from airnub_prefect_starter import api
    from airnub_prefect_starter.generators.naming import STAGE_KINDS, STOCK_KINDS

    for stage, kinds in STAGE_KINDS.items():
        assert [k for k in kinds if k != "custom"] == [k for k, kind in STOCK_KINDS.items() if kind.stage == stage]
    for name, model in CORE_MODELS.items():
        assert getattr(api, model) is STOCK_KINDS[name].section


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
