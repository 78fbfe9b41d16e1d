"""The processing and analysis stage configs: what they accept, and errors that name the key path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from airnub_prefect_starter.analysis.config import AnalysisStageBase
from airnub_prefect_starter.core.config import parse_config
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.processing.config import DatasetSpec, ProcessingStageBase
from airnub_prefect_starter.registry.config_files import load_stage_config_file
from flows.dept_project_alpha.config_models_dept_project_alpha import AnalysisStageConfig, ProcessingStageConfig
from tests.support.demo_recipes import demo_dataset
from tests.support.project_copy import REPO_ROOT

CONFIGS = REPO_ROOT / "configs" / "variables" / "dept_project_alpha"


def dataset(name: str = "iris", **extra: Any) -> dict[str, Any]:
    """The demo's iris declaration, renamed and changed by ``extra``."""
    return demo_dataset("iris", name=name, **extra)


def test_shipped_processing_and_analysis_configs_validate_and_fit_a_variable() -> None:
    processing = load_stage_config_file(CONFIGS / "processing_config_dept_project_alpha.yaml")
    analysis = load_stage_config_file(CONFIGS / "analysis_config_dept_project_alpha.yaml")

    assert isinstance(processing.model, ProcessingStageBase) and isinstance(analysis.model, AnalysisStageBase)
    assert processing.variable_name == "dept_project_alpha_processing_config"
    assert analysis.variable_name == "dept_project_alpha_analysis_config"
    api = processing.model.api_records
    assert api is not None and isinstance(api.datasets[0], DatasetSpec) and api.datasets[0].format == "json"
    processed = {d.name for s in (processing.model.tabular_files, api) if s for d in s.datasets}
    reports = analysis.model.classification_reports
    assert reports is not None and {d.name for d in reports.datasets} <= processed  # analysis reads what is built


@pytest.mark.parametrize(
    ("model", "data", "expected"),
    [
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(schema={"columns": [{"name": "x", "type": "decimal"}]})]}},
            "tabular_files.datasets[0].schema.columns[0].type: Input should be 'int', 'float', 'str', 'bool', 'date', "
            "'datetime' or 'category'",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(input={"data_source_name": "files"})]}},
            "tabular_files.datasets[0].input: give filename, name or both to pick the raw object",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(format="xml")]}},
            "tabular_files.datasets[0].format: Input should be 'csv', 'tsv', 'json', 'jsonl' or 'parquet'",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(records_key="rows")]}},
            "tabular_files.datasets[0].records_key: unknown key (typo?)",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset()]}, "api_records": {"datasets": [dataset()]}},
            "dataset names must be unique across categories (they share output_base): ['iris']",
        ),
        (
            ProcessingStageConfig,
            {"max_concurrency": 2},
            "<root>: max_concurrency has moved: set task_runner.max_concurrency instead",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(name="Iris Data")]}},
            "tabular_files.datasets[0].name: String should match pattern",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(reader={"encoding": "zlib"})]}},
            "tabular_files.datasets[0].reader.encoding: 'zlib' is not a text encoding (it is a bytes codec)",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(reader={"encoding": "rot13"})]}},
            "tabular_files.datasets[0].reader.encoding: 'rot13' is not a text encoding",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(reader={"encoding": "undefined"})]}},
            "tabular_files.datasets[0].reader.encoding: 'undefined' cannot decode text",
        ),
        (
            ProcessingStageConfig,
            {"tabular_files": {"datasets": [dataset(reader={"encoding": "klingon"})]}},
            "tabular_files.datasets[0].reader.encoding: 'klingon' is not a known encoding",
        ),
        (
            AnalysisStageConfig,
            {"classification_reports": {"datasets": [{"name": "iris", "model": "svm"}]}},
            "classification_reports.datasets[0].model: Input should be 'random_forest', 'logistic_regression' or "
            "'linear_regression'",
        ),
        (
            AnalysisStageConfig,
            {"classification_reports": {"datasets": [{"name": "iris"}, {"name": "iris", "seed": 1}]}},
            "classification_reports: each dataset is analysed once: ['iris'] repeated",
        ),
    ],
    ids=[
        "unknown-type",
        "no-selector",
        "wrong-format",
        "json-key-on-csv",
        "duplicate-name",
        "moved-concurrency",
        "bad-name",
        "encoding-zlib",
        "encoding-rot13",
        "encoding-undefined",
        "encoding-unknown",
        "model",
        "twice",
    ],
)
def test_stage_config_errors_name_the_key_path(model: type[BaseModel], data: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(model, data, "configs/x.yaml")

    assert str(raised.value).startswith("configs/x.yaml: ") and expected in str(raised.value)


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models_in(arg)


def _undocumented(model: type[BaseModel], seen: set[type[BaseModel]]) -> list[str]:
    if model in seen:
        return []
    seen.add(model)
    missing = [f"{model.__name__}.{name}" for name, field in model.model_fields.items() if not field.description]
    for field in model.model_fields.values():
        for inner in _models_in(field.annotation):
            missing += _undocumented(inner, seen)
    return missing


@pytest.mark.parametrize("model", [ProcessingStageConfig, AnalysisStageConfig])
def test_stage_config_documents_every_field(model: type[BaseModel]) -> None:
    assert _undocumented(model, set()) == []
