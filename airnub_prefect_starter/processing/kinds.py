"""The processing stage's category kinds: ``tabular`` (stored raw objects become declared datasets)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airnub_prefect_starter.processing.config import DatasetSpec, TabularConfig
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.kinds import CategoryKind, KindRegistry

if TYPE_CHECKING:  # the builder needs the `ds` extra: the registry must import without it
    from airnub_prefect_starter.processing.datasets import ProcessingRuntime

__all__ = ["PROCESSING_KINDS", "TABULAR", "ProcessingKind", "build_tabular_dataset"]


def build_tabular_dataset(spec: DatasetSpec, runtime: ProcessingRuntime) -> DatasetOutcome:
    """Build one declared dataset (or leave it untouched when it is up to date)."""
    from airnub_prefect_starter.processing.datasets import build_dataset

    return build_dataset(spec, runtime)


@dataclass(frozen=True)
class ProcessingKind(CategoryKind):
    """A processing kind: one task per item, each built by ``build(item, runtime)``."""

    build: Callable[[DatasetSpec, ProcessingRuntime], DatasetOutcome] = build_tabular_dataset


TABULAR = ProcessingKind(
    "tabular",
    "processing",
    TabularConfig,
    "datasets",
    "parse",
    "stored raw objects become declared, schema-checked Parquet datasets",
)

#: The processing kinds.
PROCESSING_KINDS: KindRegistry[ProcessingKind] = KindRegistry("processing", [TABULAR])
