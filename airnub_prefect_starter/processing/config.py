"""The processing stage's config (the Variable ``dept_<id>_processing_config``): which raw objects of the manifest
index become which datasets, read how and checked against which declared schema (all of it YAML).

Every model is frozen with ``extra="forbid"`` and every field has a description (the docs are generated from them).
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from airnub_prefect_starter.core.config import (
    ConfigModel,
    DatasetName,
    DataSourceName,
    StorageBase,
    TaskRunnerConfig,
    reject_moved_key,
)
from airnub_prefect_starter.data_science.recipes import DatasetRecipe

__all__ = [
    "DatasetSpec",
    "ProcessingStageBase",
    "RawInputSelector",
    "TabularConfig",
]


class RawInputSelector(ConfigModel):
    """Which raw objects of the manifest index a dataset is built from: those served by the URLs in
    ``data_source_name`` whose file name (as that URL named it) and/or ingested item name match."""

    data_source_name: DataSourceName
    filename: str | None = Field(
        default=None,
        min_length=1,
        description="File name a URL gave the object (Content-Disposition or the URL's last path segment), e.g. "
        "'iris.csv'; the same bytes from several URLs match under each URL's name.",
    )
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


class DatasetSpec(DatasetRecipe, ConfigModel):
    """A declared dataset: its raw input in the manifest index, the raw format, reader options and schema."""

    name: DatasetName
    input: RawInputSelector = Field(description="The raw objects to read, looked up in the manifest index.")
    versions: Literal["latest", "all"] = Field(
        default="latest",
        description="'latest': the current object of each matching URL (the most recently changed first); 'all': "
        "every object they ever served, newest first (a repeated primary key keeps the newest row).",
    )


class TabularConfig(ConfigModel):
    """A category of kind ``tabular``: stored raw objects (csv, tsv, json, jsonl, parquet, ...) become declared,
    schema-checked datasets."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    datasets: list[DatasetSpec] = Field(min_length=1, description="Datasets to build.")


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


#: The names this model had before it was named by kind (departments generated then import them).
DatasetsSection = TabularConfig
TabularFilesConfig = TabularConfig
ApiRecordsConfig = TabularConfig
