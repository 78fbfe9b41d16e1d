"""The processing stage's config (the Variable ``dept_<id>_processing_config``): which raw objects of the manifest
index become which datasets, parsed how and checked against which declared schema.

Every model is frozen with ``extra="forbid"`` and every field has a description (the docs are generated from them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from airnub_prefect_starter.core.config import (
    ConfigModel,
    DatasetName,
    DataSourceName,
    StorageBase,
    TaskRunnerConfig,
    reject_moved_key,
)
from airnub_prefect_starter.data_science.schemas import DEMO_SCHEMAS

__all__ = [
    "ApiDatasetSpec",
    "ApiRecordsConfig",
    "FileDatasetSpec",
    "ProcessingStageBase",
    "ProcessingStageConfig",
    "RawInputSelector",
    "TabularFilesConfig",
]


def _known_schema(value: str) -> str:
    if value not in DEMO_SCHEMAS:
        raise ValueError(f"unknown schema {value!r} (known: {', '.join(sorted(DEMO_SCHEMAS))})")
    return value


SchemaName = Annotated[
    str,
    AfterValidator(_known_schema),
    Field(description="Declared table schema rows are checked against (data_science.schemas: iris, wine, ...)."),
]


class RawInputSelector(ConfigModel):
    """Which raw object of the manifest index a dataset is built from: the current content of the URLs in
    ``data_source_name`` whose stored file name and/or ingested item name match (the most recently changed wins)."""

    data_source_name: DataSourceName
    filename: str | None = Field(default=None, min_length=1, description="Stored file name, e.g. 'iris.csv'.")
    name: str | None = Field(
        default=None, min_length=1, description="Item name the object was ingested under, e.g. 'wine_records'."
    )

    @model_validator(mode="after")
    def _needs_a_selector(self) -> RawInputSelector:
        if self.filename is None and self.name is None:
            raise ValueError("give filename, name or both to pick the raw object")
        return self

    def describe(self) -> str:
        parts = [f"filename={self.filename!r}" if self.filename else "", f"name={self.name!r}" if self.name else ""]
        return f"{self.data_source_name}[{', '.join(p for p in parts if p)}]"


class FileDatasetSpec(ConfigModel):
    """A dataset parsed from a stored CSV file in scikit-learn's layout (``n_samples,n_features,labels...``)."""

    name: DatasetName
    schema_name: SchemaName
    input: RawInputSelector = Field(description="The raw object to parse, looked up in the manifest index.")
    format: Literal["csv"] = Field(default="csv", description="Raw format: 'csv' (scikit-learn bundled CSV).")


class ApiDatasetSpec(ConfigModel):
    """A dataset parsed from a stored JSON API response holding one object per row under ``records_key``."""

    name: DatasetName
    schema_name: SchemaName
    input: RawInputSelector = Field(description="The raw object to parse, looked up in the manifest index.")
    format: Literal["json"] = Field(default="json", description="Raw format: 'json' (records).")
    records_key: str = Field(default="records", min_length=1, description="Top-level key holding the records.")


class TabularFilesConfig(ConfigModel):
    """Category ``tabular_files``: CSV files stored by ingestion become datasets."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    datasets: list[FileDatasetSpec] = Field(min_length=1, description="Datasets to build from CSV files.")


class ApiRecordsConfig(ConfigModel):
    """Category ``api_records``: stored JSON API responses become datasets."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    datasets: list[ApiDatasetSpec] = Field(min_length=1, description="Datasets to build from API responses.")


class ProcessingStageBase(ConfigModel):
    """The keys of every processing stage config; each category adds an optional section (the Variable
    ``dept_<id>_processing_config``)."""

    output_base: StorageBase = Field(
        default="processed", description="Folder for <name>.parquet, .dataset.json, .quarantine.csv (data dir based)."
    )
    task_runner: TaskRunnerConfig = Field(default_factory=TaskRunnerConfig, description="Where dataset tasks run.")

    @model_validator(mode="before")
    @classmethod
    def _concurrency_moved(cls, data: Any) -> Any:
        return reject_moved_key(data, "max_concurrency", "task_runner.max_concurrency")

    @model_validator(mode="after")
    def _unique_dataset_names(self) -> Self:
        sections = [getattr(self, name) for name in type(self).model_fields]
        names = [d.name for section in sections for d in getattr(section, "datasets", ())]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"dataset names must be unique across categories (they share output_base): {duplicates}")
        return self

    def category_parameters(self) -> dict[str, Any]:
        """What every processing category flow gets besides its section: where datasets go."""
        return {"output_base": self.output_base}


class ProcessingStageConfig(ProcessingStageBase):
    """Project Alpha's processing stage: datasets from stored CSV files and from stored API responses."""

    tabular_files: TabularFilesConfig | None = Field(default=None, description="Datasets from stored CSV files.")
    api_records: ApiRecordsConfig | None = Field(default=None, description="Datasets from stored API responses.")
