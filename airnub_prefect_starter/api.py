"""The public face of the package: everything flows and generated departments import from it, and nothing else.

``flows/`` (Project Alpha and every department ``airnub new`` writes) imports only this module (plus Prefect, the
standard library and its own department package); a test fails when it imports any other module of the package,
so the internals behind these names can move freely. Names load on first use (PEP 562), so a department's config
models import neither Prefect nor the data-science stack, and ingestion flows import no data-science library.

Groups: stage flows (:func:`run_stage`, the stage contracts and outcomes); category
kinds and the flows and task wrappers built from them (:func:`category_flow`, :func:`kind_task`); config models
(stage bases, one section model per kind, the field types custom sections use, :class:`Sealed` for their items);
what hand-written (``custom``) categories run (:func:`ingest_category`, :func:`ingest_batch`,
:func:`transient_retry_task`, :class:`Sealed`); what generated tests use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airnub_prefect_starter.analysis.config import AnalysedDataset, AnalysisStageBase, ReportConfig
    from airnub_prefect_starter.analysis.contract import ANALYSIS
    from airnub_prefect_starter.analysis.kinds import REPORT
    from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
    from airnub_prefect_starter.common.sealed import Sealed
    from airnub_prefect_starter.core.config import ConfigModel, DataSourceName, HttpUrl, StorageBase
    from airnub_prefect_starter.core.errors import ConfigError, ResponseContentError, StageFailedError
    from airnub_prefect_starter.core.http.policy import HttpOverrides
    from airnub_prefect_starter.data_science.sample_checks import sample_problem
    from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
    from airnub_prefect_starter.ingestion.config import (
        ApiConfig,
        DownloadsConfig,
        FileToAcquire,
        IngestionStageBase,
        ScrapeConfig,
    )
    from airnub_prefect_starter.ingestion.contract import INGESTION
    from airnub_prefect_starter.ingestion.kinds import API, DOWNLOADS, SCRAPE
    from airnub_prefect_starter.ingestion.outcome import ItemOutcome
    from airnub_prefect_starter.processing.config import DatasetSpec, ProcessingStageBase, TabularConfig
    from airnub_prefect_starter.processing.contract import PROCESSING
    from airnub_prefect_starter.processing.kinds import TABULAR
    from airnub_prefect_starter.processing.outcome import DatasetOutcome
    from airnub_prefect_starter.registry.config_files import load_stage_config_file
    from airnub_prefect_starter.stages.results import StageResult
    from airnub_prefect_starter.tasks.category_flows import category_flow, kind_task
    from airnub_prefect_starter.tasks.category_runner import ingest_category
    from airnub_prefect_starter.tasks.retry_policy import transient_retry_task
    from airnub_prefect_starter.tasks.run_context import with_run_ids
    from airnub_prefect_starter.tasks.run_names import run_name
    from airnub_prefect_starter.tasks.stage_flows import stage_flow
    from airnub_prefect_starter.tasks.stage_runner import run_stage

__all__ = [
    "ANALYSIS",
    "API",
    "DOWNLOADS",
    "INGESTION",
    "PROCESSING",
    "REPORT",
    "SCRAPE",
    "TABULAR",
    "AnalysedDataset",
    "AnalysisOutcome",
    "AnalysisStageBase",
    "ApiConfig",
    "BatchRuntime",
    "ConfigError",
    "ConfigModel",
    "DataSourceName",
    "DatasetOutcome",
    "DatasetSpec",
    "DownloadsConfig",
    "FileToAcquire",
    "HttpOverrides",
    "HttpUrl",
    "IngestionStageBase",
    "ItemOutcome",
    "ProcessingStageBase",
    "ReportConfig",
    "ResponseContentError",
    "ScrapeConfig",
    "Sealed",
    "StageFailedError",
    "StageResult",
    "StorageBase",
    "TabularConfig",
    "category_flow",
    "ingest_batch",
    "ingest_category",
    "kind_task",
    "load_stage_config_file",
    "run_name",
    "run_stage",
    "sample_problem",
    "stage_flow",
    "transient_retry_task",
    "with_run_ids",
]

_PACKAGE = "airnub_prefect_starter"

#: Where each public name lives: ``module`` or ``module:attribute`` when the public name differs.
_WHERE: dict[str, str] = {
    "ANALYSIS": "analysis.contract",
    "API": "ingestion.kinds",
    "DOWNLOADS": "ingestion.kinds",
    "INGESTION": "ingestion.contract",
    "PROCESSING": "processing.contract",
    "REPORT": "analysis.kinds",
    "SCRAPE": "ingestion.kinds",
    "TABULAR": "processing.kinds",
    "AnalysedDataset": "analysis.config",
    "AnalysisOutcome": "analysis.outcome",
    "AnalysisStageBase": "analysis.config",
    "ApiConfig": "ingestion.config",
    "BatchRuntime": "ingestion.batch",
    "ConfigError": "core.errors",
    "ConfigModel": "core.config",
    "DataSourceName": "core.config",
    "DatasetOutcome": "processing.outcome",
    "DatasetSpec": "processing.config",
    "DownloadsConfig": "ingestion.config",
    "FileToAcquire": "ingestion.config",
    "HttpOverrides": "core.http.policy",
    "HttpUrl": "core.config",
    "IngestionStageBase": "ingestion.config",
    "ItemOutcome": "ingestion.outcome",
    "ProcessingStageBase": "processing.config",
    "ReportConfig": "analysis.config",
    "ResponseContentError": "core.errors",
    "ScrapeConfig": "ingestion.config",
    "Sealed": "common.sealed",
    "StageFailedError": "core.errors",
    "StageResult": "stages.results",
    "StorageBase": "core.config",
    "TabularConfig": "processing.config",
    "category_flow": "tasks.category_flows",
    "ingest_batch": "ingestion.batch",
    "ingest_category": "tasks.category_runner",
    "kind_task": "tasks.category_flows",
    "load_stage_config_file": "registry.config_files",
    "run_name": "tasks.run_names",
    "run_stage": "tasks.stage_runner",
    "sample_problem": "data_science.sample_checks",
    "stage_flow": "tasks.stage_flows",
    "transient_retry_task": "tasks.retry_policy",
    "with_run_ids": "tasks.run_context",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(f"{_PACKAGE}.{module}"), attribute or name)
    globals()[name] = value  # the next lookup is a plain global
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
