"""The result of one stage run, whatever the stage: every outcome by category, and the categories that stopped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from airnub_prefect_starter.stages.outcomes import Outcome

__all__ = ["OutcomeT", "StageResult"]

OutcomeT = TypeVar("OutcomeT", bound=Outcome)


@dataclass(frozen=True)
class StageResult(Generic[OutcomeT]):
    """Every outcome of one stage run, by category; ``crashed`` holds the categories that stopped before producing
    outcomes (category -> error). ``statuses`` are the statuses its counts always show (the stage's, in order)."""

    department: str
    stage: str
    statuses: tuple[str, ...]
    by_category: Mapping[str, Sequence[OutcomeT]]
    crashed: Mapping[str, str] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[OutcomeT]:
        return [o for outcomes in self.by_category.values() for o in outcomes]

    @property
    def empty_categories(self) -> list[str]:
        """The categories that ran with nothing to do: their config lists no items."""
        return [name for name, outcomes in self.by_category.items() if not outcomes]

    @property
    def failed(self) -> bool:
        return bool(self.crashed) or any(o.failed for o in self.outcomes)

    def counts(self, outcomes: Sequence[OutcomeT] | None = None) -> dict[str, int]:
        """Outcomes (all, or ``outcomes``) per status, zeros included, plus ``total``."""
        chosen = self.outcomes if outcomes is None else outcomes
        counted = Counter(o.status for o in chosen)
        return {**{s: counted.get(s, 0) for s in self.statuses}, "total": len(chosen)}

    def counts_line(self, outcomes: Sequence[OutcomeT] | None = None) -> str:
        """``3 stored, 1 unchanged, 0 duplicate, 0 failed``."""
        counts = self.counts(outcomes)
        return ", ".join(f"{counts[s]} {s}" for s in self.statuses)

    def summary_line(self) -> str:
        """:meth:`counts_line`, then every category that stopped and every one with no items: ``1 built,
        0 unchanged, 0 failed; category api_records stopped: KeyError: 'x'; category extra_files: no items``."""
        return (
            self.counts_line()
            + "".join(f"; category {n} stopped: {e}" for n, e in self.crashed.items())
            + "".join(f"; category {n}: no items in its config" for n in self.empty_categories)
        )

    def as_summary(self) -> dict[str, Any]:
        """The CLI's ``--json`` object: ``{"department", "stage", "items": [...], "counts": {...}, "crashed",
        "empty"}`` (``empty``: the categories whose config lists no items)."""
        return {
            "department": self.department,
            "stage": self.stage,
            "items": [o.as_summary() for o in self.outcomes],
            "counts": self.counts(),
            "crashed": dict(self.crashed),
            "empty": self.empty_categories,
        }
