"""The result of a stage run across its categories, and the error that ends a stage Failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airnub_prefect_starter.core.artifact_creators import count_statuses
from airnub_prefect_starter.core.batch_ingest import ItemOutcome
from airnub_prefect_starter.core.errors import AirnubError

__all__ = ["StageFailedError", "StageResult"]


@dataclass(frozen=True)
class StageResult:
    """Every item outcome of one stage run, grouped by category; ``crashed`` holds categories that stopped
    before producing outcomes (category -> error)."""

    department: str
    stage: str
    by_category: Mapping[str, Sequence[ItemOutcome]]
    crashed: Mapping[str, str] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[ItemOutcome]:
        return [o for outcomes in self.by_category.values() for o in outcomes]

    @property
    def failed(self) -> bool:
        return bool(self.crashed) or any(o.failed for o in self.outcomes)

    def as_summary(self) -> dict[str, Any]:
        """The CLI's ``--json`` object: ``{"items": [...], "counts": {...}, "crashed": {...}}``."""
        return {
            "department": self.department,
            "stage": self.stage,
            "items": [o.as_summary() for o in self.outcomes],
            "counts": count_statuses(self.outcomes),
            "crashed": dict(self.crashed),
        }


class StageFailedError(AirnubError):
    """A stage run had failed items or crashed categories; ``result`` carries everything that happened."""

    def __init__(self, result: StageResult) -> None:
        failed = [o for o in result.outcomes if o.failed]
        shown = "; ".join(f"{o.category}/{o.name}: {o.error}" for o in failed[:3])
        more = f" (+{len(failed) - 3} more)" if len(failed) > 3 else ""
        parts = [f"{len(failed)} of {len(result.outcomes)} items failed: {shown}{more}"] if failed else []
        parts += [f"category {name} crashed: {error}" for name, error in result.crashed.items()]
        super().__init__(f"{result.department} {result.stage}: " + "; ".join(parts))
        self.result = result
