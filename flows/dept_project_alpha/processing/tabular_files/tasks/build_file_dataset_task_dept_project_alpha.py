"""Task wrapper: build one dataset from a CSV file stored by ingestion (or leave it untouched if up to date)."""

from __future__ import annotations

from airnub_prefect_starter.processing.config import DatasetSpec
from airnub_prefect_starter.processing.datasets import ProcessingRuntime, build_dataset
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.tasks.retry_policy import batch_task


@batch_task("Build dataset from a CSV file (Project Alpha)")
def build_file_dataset_task_dept_project_alpha(spec: DatasetSpec, runtime: ProcessingRuntime) -> DatasetOutcome:
    """Raises a typed error when the dataset cannot be built; retried only when the index is briefly unreachable."""
    return build_dataset(spec, runtime)
