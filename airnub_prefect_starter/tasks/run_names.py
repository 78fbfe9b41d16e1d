"""Readable flow run names: ``project-alpha-ingestion-2026-12-03T06:55:12`` instead of Prefect's random ones, so
a list of runs in the UI (or ``prefect flow-run ls``) says what ran when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from airnub_prefect_starter.stages.artifacts import artifact_key

__all__ = ["run_name"]


def run_name(department: str, what: str) -> Callable[[], str]:
    """``flow_run_name`` for ``@flow``: the department id and the stage or category, then the UTC start second."""
    prefix = artifact_key(department.removeprefix("dept_"), what)

    def name() -> str:
        return f"{prefix}-{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}"

    return name
