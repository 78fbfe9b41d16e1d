"""The shape every per-item outcome shares: who (category, name), what happened (status) and, if it failed, why.

:class:`~airnub_prefect_starter.core.batch_ingest.ItemOutcome` (ingestion),
:class:`~airnub_prefect_starter.core.data_stage_results.DatasetOutcome` (processing) and
:class:`~airnub_prefect_starter.core.data_stage_results.AnalysisOutcome` (analysis) inherit :class:`Outcome` for
``failed``, ``failure`` and the frame of their ``--json`` summary. It is a plain mixin, not a dataclass base, so
each outcome keeps its own field order (positional construction, ``repr``, equality) and pickles exactly as
before: the outcomes cross process boundaries as results of Prefect tasks (Dask workers included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

__all__ = ["Outcome"]


class Outcome:
    """Mixin for a frozen outcome dataclass, which declares these fields itself (``status`` as its ``Literal``)."""

    category: str
    name: str
    status: str
    error_type: str | None
    error: str | None

    @classmethod
    def failure(cls, category: str, name: str, error: BaseException, **fields: Any) -> Self:
        """A ``failed`` outcome naming the error's type and message; ``fields`` fills the outcome's own fields."""
        build: Callable[..., Self] = cls  # the dataclass's __init__: the mixin itself declares no fields
        return build(
            category=category, name=name, status="failed", error_type=type(error).__name__, error=str(error), **fields
        )

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def as_summary(self) -> dict[str, Any]:
        """The ``--json`` item shape of the CLI contract: ``category``, ``name``, ``status``, the outcome's
        :meth:`summary_details`, then ``error`` (in this order: it is the order ``airnub ... --json`` prints)."""
        return {
            "category": self.category,
            "name": self.name,
            "status": self.status,
            **self.summary_details(),
            "error": self.error,
        }

    def summary_details(self) -> dict[str, Any]:
        """The keys between ``status`` and ``error`` in :meth:`as_summary`; each outcome names its own."""
        return {}
