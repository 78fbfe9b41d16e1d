"""Run a stage's category flows and end the stage Failed when any of them did, after running them all."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.variables import Variable
from pydantic import BaseModel

from airnub_prefect_starter.core.artifact_creators import artifact_key, stage_summary_markdown
from airnub_prefect_starter.core.batch_ingest import IngestionFailedError, ItemOutcome
from airnub_prefect_starter.core.config_models import parse_config
from airnub_prefect_starter.core.departments import stage_variable_name
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.stage_results import StageFailedError, StageResult

__all__ = ["finish_stage", "load_stage_config", "run_category_flow"]

M = TypeVar("M", bound=BaseModel)


def load_stage_config(model: type[M], department: str, stage: str, config: Mapping[str, Any] | None) -> M:
    """Validate ``config`` if given, else the stage's Prefect Variable; a missing Variable is a ConfigError."""
    if config is not None:
        return parse_config(model, dict(config), f"{stage} config parameter")
    name = stage_variable_name(department, stage)
    value = Variable.get(name, default=None)
    if value is None:
        raise ConfigError(f"Prefect Variable '{name}' is not set: run `airnub variables sync` or pass a config")
    return parse_config(model, value, f"Prefect Variable '{name}'")


def run_category_flow(
    category: str, category_flow: Callable[..., Any], **parameters: Any
) -> tuple[Sequence[ItemOutcome], str | None]:
    """Run a category sub-flow to its end; return its outcomes (also when it failed) and, if it crashed
    without outcomes, the error that stopped it."""
    state = category_flow(**parameters, return_state=True)
    if state.is_completed():
        return state.result(), None
    error = state.result(raise_on_failure=False)
    if isinstance(error, IngestionFailedError):
        return error.outcomes, None
    get_run_logger().error("Category %s stopped: %s", category, error)
    return [], f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(state.message)


def finish_stage(
    department: str,
    stage: str,
    by_category: Mapping[str, Sequence[ItemOutcome]],
    crashed: Mapping[str, str],
) -> StageResult:
    """Publish the stage summary (markdown artifact); raise :class:`StageFailedError` if anything failed."""
    result = StageResult(department=department, stage=stage, by_category=dict(by_category), crashed=dict(crashed))
    create_markdown_artifact(
        stage_summary_markdown(department, stage, by_category, crashed),
        key=artifact_key(department, stage, "summary"),
        description=f"{department}: {stage} stage summary",
    )
    if result.failed:
        raise StageFailedError(result)
    return result
