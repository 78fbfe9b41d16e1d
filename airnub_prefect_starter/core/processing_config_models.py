"""The processing stage's config (the Variable ``dept_<id>_processing_config``): which raw objects of the manifest
index become which datasets, parsed how and checked against which declared schema.

Every model is frozen with ``extra="forbid"`` and every field has a description (the docs are generated from them).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from airnub_prefect_starter.core.config_models import DataSourceName, StorageBase, TaskRunnerConfig
from airnub_prefect_starter.data_science.schemas import DEMO_SCHEMAS

__all__ = [
    "ApiDatasetSpec",
    "ApiRecordsConfig",
    "DatasetName",
    "FileDatasetSpec",
    "ProcessingStageConfig",
    "RawInputSelector",
    "TabularFilesConfig",
]


def _known_schema(value: str) -> str:
    if value not in DEMO_SCHEMAS:
        raise ValueError(f"unknown schema {value!r} (known: {', '.join(sorted(DEMO_SCHEMAS))})")
    return value


DatasetName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$",
        description="Dataset name: file stem of <name>.parquet, lower-case letters, digits, '_', '.', '-'.",
    ),
]
SchemaName = Annotated[
    str,
    AfterValidator(_known_schema),
    Field(description="Declared table schema rows are checked against (data_science.schemas: iris, wine, ...)."),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RawInputSelector(_Model):
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


class FileDatasetSpec(_Model):
    """A dataset parsed from a stored CSV file in scikit-learn's layout (``n_samples,n_features,labels...``)."""

    name: DatasetName
    schema_name: SchemaName
    input: RawInputSelector = Field(description="The raw object to parse, looked up in the manifest index.")
    format: Literal["csv"] = Field(default="csv", description="Raw format: 'csv' (scikit-learn bundled CSV).")


class ApiDatasetSpec(_Model):
    """A dataset parsed from a stored JSON API response holding one object per row under ``records_key``."""

    name: DatasetName
    schema_name: SchemaName
    input: RawInputSelector = Field(description="The raw object to parse, looked up in the manifest index.")
    format: Literal["json"] = Field(default="json", description="Raw format: 'json' (records).")
    records_key: str = Field(default="records", min_length=1, description="Top-level key holding the records.")


class TabularFilesConfig(_Model):
    """Category ``tabular_files``: CSV files stored by ingestion become datasets."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    datasets: list[FileDatasetSpec] = Field(min_length=1, description="Datasets to build from CSV files.")


class ApiRecordsConfig(_Model):
    """Category ``api_records``: stored JSON API responses become datasets."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    datasets: list[ApiDatasetSpec] = Field(min_length=1, description="Datasets to build from API responses.")


class ProcessingStageConfig(_Model):
    """The Variable ``dept_<id>_processing_config``: the datasets of the processing stage, by category."""

    output_base: StorageBase = Field(
        default="processed", description="Folder for <name>.parquet, .dataset.json, .quarantine.csv (data dir based)."
    )
    task_runner: TaskRunnerConfig = Field(default_factory=TaskRunnerConfig, description="Where dataset tasks run.")
    max_concurrency: int = Field(default=2, ge=1, le=64, description="Datasets built at the same time at most.")
    tabular_files: TabularFilesConfig | None = Field(default=None, description="Datasets from stored CSV files.")
    api_records: ApiRecordsConfig | None = Field(default=None, description="Datasets from stored API responses.")

    @model_validator(mode="after")
    def _unique_dataset_names(self) -> ProcessingStageConfig:
        names = [d.name for section in (self.tabular_files, self.api_records) if section for d in section.datasets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"dataset names must be unique across categories (they share output_base): {duplicates}")
        return self
