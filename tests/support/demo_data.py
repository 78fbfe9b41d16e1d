"""The demo's data as `airnub demo` leaves it, without Prefect (seconds instead of a demo run): a dataset's raw
file served on loopback and stored by the real ingestion core, processed as the demo's processing config declares
and analysed as its analysis config declares, all under one data dir with its SQLite index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airnub_prefect_starter.analysis.config import AnalysedDataset
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.analysis.pipeline import AnalysisLayout, analyse_dataset
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.config import load_yaml_file
from airnub_prefect_starter.processing.config import DatasetSpec
from airnub_prefect_starter.processing.datasets import ProcessingRuntime, build_dataset
from tests.support.demo_recipes import DEMO_PROCESSING_CONFIG, demo_dataset
from tests.support.http_server import LoopbackHTTPServer
from tests.support.raw_inputs import ingest_raw

__all__ = ["DEMO_ANALYSIS_CONFIG", "build_demo_data"]

DEMO_ANALYSIS_CONFIG = DEMO_PROCESSING_CONFIG.with_name("analysis_config_dept_project_alpha.yaml")


def _analysed(config: dict[str, Any], dataset: str) -> AnalysedDataset:
    for category in ("classification_reports",):
        for entry in config[category]["datasets"]:
            if entry["name"] == dataset:
                return AnalysedDataset.model_validate(entry)
    raise KeyError(dataset)


def build_demo_data(data_dir: Path, server: LoopbackHTTPServer, raw: bytes, dataset: str = "iris") -> AnalysisOutcome:
    """``raw`` served at ``/files/<input file name>`` and ingested under the demo's data source, then ``dataset``
    processed and analysed with the demo's configs, into ``data_dir`` (created)."""
    spec = DatasetSpec.model_validate(demo_dataset(dataset))
    processing, analysis = load_yaml_file(DEMO_PROCESSING_CONFIG), load_yaml_file(DEMO_ANALYSIS_CONFIG)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRNUB_DATA_DIR", str(data_dir))
        patch.delenv("AIRNUB_INDEX_URL", raising=False)
        settings = load_settings()
        filename = spec.input.filename or f"{dataset}.csv"
        ingest_raw(server, f"/files/{filename}", raw, data_source_name=spec.input.data_source_name, name=dataset)
        build_dataset(spec, ProcessingRuntime.for_category("tabular_files", processing["output_base"], settings))
        layout = AnalysisLayout.resolve(
            "classification_reports",
            settings,
            datasets_base=analysis["datasets_base"],
            models_base=analysis["models_base"],
            reports_base=analysis["reports_base"],
            figures_base=analysis["figures_base"],
        )
        return analyse_dataset(_analysed(analysis, dataset), layout)
