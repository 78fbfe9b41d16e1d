"""Run a stage's category flows and end the stage Failed when any of them did, after running them all."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from prefect import Flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import TaskRunner
from prefect.variables import Variable
from pydantic import BaseModel

from airnub_prefect_starter.core.artifact_creators import artifact_key, stage_summary_markdown
from airnub_prefect_starter.core.batch_ingest import ItemOutcome
from airnub_prefect_starter.core.config_models import parse_config
from airnub_prefect_starter.core.departments import stage_variable_name
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.outcomes import CategoryFailedError
from airnub_prefect_starter.core.stage_results import StageFailedError, StageResult

__all__ = ["check_categories", "finish_stage", "load_stage_config", "run_categories", "run_category_flow"]

M = TypeVar("M", bound=BaseModel)
OutcomeT = TypeVar("OutcomeT")


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
) -> tuple[list[Any], str | None]:
    """Run a category sub-flow to its end; return its outcomes (also when it failed) and, if it crashed
    without outcomes, the error that stopped it."""
    state = category_flow(**parameters, return_state=True)
    if state.is_completed():
        return list(state.result()), None
    error = state.result(raise_on_failure=False)
    if isinstance(error, CategoryFailedError):  # some items failed: the category still has every outcome
        return list(error.outcomes), None
    get_run_logger().error("Category %s stopped: %s", category, error)
    return [], f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(state.message)


def check_categories(categories: Sequence[str] | None, known: Sequence[str]) -> None:
    """:class:`ConfigError` when ``categories`` names a category the stage does not have."""
    unknown = sorted(set(categories or ()) - set(known))
    if unknown:
        known_text = ", ".join(known) or "none yet, see `airnub new category`"
        raise ConfigError(f"categories: unknown {', '.join(unknown)} (known: {known_text})")


def run_categories(
    stage_config: BaseModel,
    category_flows: Mapping[str, Flow[..., list[OutcomeT]]],
    categories: Sequence[str] | None,
    *,
    task_runner: Callable[[Any], TaskRunner[Any]] | None = None,
    **parameters: Any,
) -> tuple[dict[str, list[OutcomeT]], dict[str, str]]:
    """Run, in ``category_flows`` order, each category whose section of ``stage_config`` is present and enabled
    (and, when ``categories`` is given, is one of them), every one even after a failure.

    Each runs through :func:`run_category_flow` with ``config=<section>`` and ``parameters``;
    ``task_runner(section)``, if given, is the task runner of that category's flow. Returns the outcomes by
    category and the errors of the categories that stopped without outcomes."""
    by_category: dict[str, list[OutcomeT]] = {}
    crashed: dict[str, str] = {}
    for category, category_flow in category_flows.items():
        section = getattr(stage_config, category)
        if section is None or not section.enabled or (categories and category not in categories):
            continue
        if task_runner is not None:
            category_flow = category_flow.with_options(task_runner=task_runner(section))
        outcomes, error = run_category_flow(category, category_flow, config=section, **parameters)
        by_category[category] = list(outcomes)
        if error:
            crashed[category] = error
    return by_category, crashed


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
