"""What makes a stage a stage: its statuses, its artifacts, its event, and how its runs fail.

Each stage package declares one :class:`StageContract` (``ingestion.contract.INGESTION``,
``processing.contract.PROCESSING``, ``analysis.contract.ANALYSIS``); the one stage runner and the one category
runner in ``tasks/`` read everything stage-specific from it, so a new stage is a new contract, not new runners.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.config import did_you_mean
from airnub_prefect_starter.core.errors import CategoryFailedError, ConfigError, StageFailedError
from airnub_prefect_starter.stages.artifacts import Artifact
from airnub_prefect_starter.stages.outcomes import failure_summary
from airnub_prefect_starter.stages.results import OutcomeT, StageResult

__all__ = ["StageContract", "category_scope", "check_categories"]


def category_scope(department: str, stage: str, category: str) -> str:
    """``Project Alpha / ingestion / public_api_data``: how logs, progress and errors name a category run."""
    return f"{department} / {stage} / {category}"


def check_categories(categories: Sequence[str] | None, known: Sequence[str]) -> None:
    """:class:`ConfigError` when ``categories`` names a category the stage does not have (with the closest one)."""
    unknown = sorted(set(categories or ()) - set(known))
    if unknown:
        hint = did_you_mean(unknown[0], known) if len(unknown) == 1 else ""
        known_text = ", ".join(known) or "none yet, see `airnub new category`"
        raise ConfigError(f"categories: unknown {', '.join(unknown)}{hint} (known: {known_text})")


def _no_artifacts(category: str, result: StageResult[Any]) -> list[Artifact]:
    return []


@dataclass(frozen=True)
class StageContract(Generic[OutcomeT]):
    """The stage-specific parts of running a stage.

    ``outcome`` is its outcome type; ``statuses`` are the statuses its counts show (``failed`` last); ``noun``
    names its outcomes in messages; ``default_concurrency`` applies when ``task_runner.max_concurrency`` is not
    set; ``stage_artifacts(result, the run's settings)`` and ``category_artifacts(category, result of that
    category)`` build what each run publishes (values, no Prefect); ``event`` is emitted with
    ``event_payload(stage, outcomes)`` unless that is ``None``."""

    name: str
    outcome: type[OutcomeT]
    statuses: tuple[str, ...]
    noun: str
    default_concurrency: int
    stage_artifacts: Callable[[StageResult[OutcomeT], AirnubSettings], list[Artifact]]
    category_artifacts: Callable[[str, StageResult[OutcomeT]], list[Artifact]] = _no_artifacts
    event: str | None = None
    event_payload: Callable[[str, Sequence[OutcomeT]], dict[str, Any] | None] | None = None

    def result(
        self, department: str, by_category: Mapping[str, Sequence[OutcomeT]], crashed: Mapping[str, str] | None = None
    ) -> StageResult[OutcomeT]:
        return StageResult(department, self.name, self.statuses, dict(by_category), dict(crashed or {}))

    def category_error(self, department: str, category: str, outcomes: Sequence[OutcomeT]) -> CategoryFailedError:
        """The error a category run ends with when some of its ``outcomes`` failed."""
        scope = category_scope(department, self.name, category)
        return CategoryFailedError(f"{scope}: {failure_summary(outcomes, self.noun, 5)}", outcomes)

    def stage_error(self, result: StageResult[OutcomeT]) -> StageFailedError:
        """The error a stage run ends with when ``result.failed``: failures first, then stopped categories."""
        outcomes = result.outcomes
        parts = [failure_summary(outcomes, self.noun, 3, with_category=True)] if any(o.failed for o in outcomes) else []
        parts += [f"category {name} crashed: {error}" for name, error in result.crashed.items()]
        return StageFailedError(f"{result.department} {result.stage}: " + "; ".join(parts), result)

    def payload(self, outcomes: Sequence[OutcomeT]) -> dict[str, Any] | None:
        """The payload of :attr:`event` for ``outcomes``, or ``None`` when no event is due."""
        if self.event is None or self.event_payload is None:
            return None
        return self.event_payload(self.name, outcomes)
