"""The one runtime shape every stage extends: what a category run's tasks need from the run's settings.

A category run hands its tasks one frozen, picklable runtime (tasks may run in other processes: Dask). The fields
every stage needs (the index, where its paths are recorded against, the local data dir, the object-storage
credentials) are resolved once per run and live here; each stage's runtime adds only its own
(:class:`~airnub_prefect_starter.ingestion.batch.BatchRuntime`: the store and the HTTP policy;
:class:`~airnub_prefect_starter.processing.datasets.ProcessingRuntime`: the output folder;
:class:`~airnub_prefect_starter.analysis.pipeline.AnalysisLayout`: the dataset, model, report and figure folders).

Runtimes travel as task parameters, which Prefect does not record (only flow-run parameters are stored): the
credentials they carry stay out of its database, and their ``repr`` never shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.store.index import ManifestIndex, open_index
from airnub_prefect_starter.core.store.object_store import S3Credentials

__all__ = ["StageRuntime"]


@dataclass(frozen=True, kw_only=True)
class StageRuntime:
    """The settings-derived fields of one category run, shared by every stage's runtime."""

    category: str
    #: SQLAlchemy URL of the manifest index; it may hold a password, so the ``repr`` leaves it out.
    index_url: str = field(repr=False)
    #: What the index records storage bases against (see ``open_index``): the data dir's folder or URL.
    index_root: Path | str | None = None
    #: The local data dir (with the data dir on object storage, its working copy).
    work_dir: Path | None = None
    #: Object-storage credentials (a Secret block's, read once per run); ``None``: the AWS variables.
    credentials: S3Credentials | None = None

    @staticmethod
    def shared_fields(
        category: str, settings: AirnubSettings, credentials: S3Credentials | None = None
    ) -> dict[str, Any]:
        """The fields of this class for ``category``, from a run's ``settings`` and ``credentials``."""
        return {
            "category": category,
            "index_url": settings.resolved_index_url,
            "index_root": settings.index_root,
            "work_dir": settings.resolved_data_dir,
            "credentials": credentials,
        }

    def open_index(self) -> ManifestIndex:
        """The run's manifest index (a new connection: call it where the work runs, not where it is planned)."""
        return open_index(self.index_url, self.index_root)
