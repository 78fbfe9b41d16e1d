"""The shape every per-item outcome shares: who (category, name), what happened (status) and, if it failed, why.

:class:`~airnub_prefect_starter.core.batch_ingest.ItemOutcome` (ingestion),
:class:`~airnub_prefect_starter.core.data_stage_results.DatasetOutcome` (processing) and
:class:`~airnub_prefect_starter.core.data_stage_results.AnalysisOutcome` (analysis) inherit :class:`Outcome` for
``failed``, ``failure`` and the frame of their ``--json`` summary. It is a plain mixin, not a dataclass base, so
each outcome keeps its own field order (positional construction, ``repr``, equality) and pickles exactly as
before: the outcomes cross process boundaries as results of Prefect tasks (Dask workers included).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Self

from airnub_prefect_starter.core.errors import AirnubError

__all__ = ["CategoryFailedError", "Outcome", "failure_summary"]


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


def failure_summary(outcomes: Sequence[Outcome], noun: str, limit: int) -> str:
    """``2 of 5 <noun> failed: a: why; b: why`` naming at most ``limit`` of them."""
    failed = [o for o in outcomes if o.failed]
    shown = "; ".join(f"{o.name}: {o.error}" for o in failed[:limit])
    more = f" (+{len(failed) - limit} more)" if len(failed) > limit else ""
    return f"{len(failed)} of {len(outcomes)} {noun} failed: {shown}{more}"


class CategoryFailedError(AirnubError):
    """Some items of a category run failed; ``outcomes`` holds every item's outcome, failed or not. A category
    flow raises it so that it ends Failed while its stage still gets every outcome."""

    noun: ClassVar[str] = "items"

    def __init__(self, scope: str, outcomes: Sequence[Outcome]) -> None:
        super().__init__(f"{scope}: {failure_summary(outcomes, self.noun, 5)}")
        self.scope = scope
        self.outcomes = list(outcomes)
