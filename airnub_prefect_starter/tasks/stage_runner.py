"""The one stage runner: the body of every parent stage flow, whatever the stage and the department.

:func:`run_stage` checks the requested categories, sets up one task runner for the whole stage run (bounded
threads, or one Dask cluster shared by every category), runs each configured category flow even after a
failure, emits the stage's event, publishes its artifacts and ends the run Failed if anything failed. Everything
stage-specific comes from the stage's :class:`~airnub_prefect_starter.stages.contract.StageContract`. A run that
uses object storage starts by asking each bucket prefix it will use one LIST
(:func:`~airnub_prefect_starter.tasks.object_storage.check_object_storage`): a missing bucket, refused credentials
or an endpoint that does not answer fail it there, in one line, before anything is fetched.

The run is resolved once, here (:func:`stage_run_context`): settings, credentials, the department's display name
and the validated config become one :class:`~airnub_prefect_starter.tasks.run_context.RunContext`, current while
the category flows run, so that none of them reads the environment, a Secret block or the department mapping again.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from prefect import Flow, get_run_logger
from prefect.task_runners import TaskRunner
from prefect.variables import Variable
from pydantic import BaseModel

from airnub_prefect_starter.common.sealed import Sealed, sealed
from airnub_prefect_starter.core.config import TaskRunnerConfig, parse_config
from airnub_prefect_starter.core.departments import department_id as core_department_id
from airnub_prefect_starter.core.departments import display_name, stage_variable_name
from airnub_prefect_starter.core.errors import CategoryFailedError, ConfigError
from airnub_prefect_starter.stages.contract import StageContract, check_categories
from airnub_prefect_starter.stages.results import OutcomeT, StageResult
from airnub_prefect_starter.tasks.artifacts import publish_artifacts
from airnub_prefect_starter.tasks.config_reference import (
    ConfigReference,
    by_reference,
    resolve_reference,
    section_by_reference,
)
from airnub_prefect_starter.tasks.events import emit_stage_event
from airnub_prefect_starter.tasks.object_storage import check_object_storage
from airnub_prefect_starter.tasks.run_context import (
    RunContext,
    current_environment,
    current_run_context,
    current_run_ids,
    run_context_scope,
)
from airnub_prefect_starter.tasks.secrets import resolve_environment
from airnub_prefect_starter.tasks.task_runners import build_task_runner, stage_dask_cluster

__all__ = [
    "StageConfig",
    "load_stage_config",
    "run_categories",
    "run_category_flow",
    "run_stage",
    "stage_run_context",
]

M = TypeVar("M", bound=BaseModel)


class StageConfig(Protocol):
    """What :func:`run_stage` reads from every stage config (the stage packages' ``*StageBase`` models): the
    task-runner section and what each category flow gets besides its own section (read by category name)."""

    @property
    def task_runner(self) -> TaskRunnerConfig: ...
    def category_parameters(self) -> dict[str, Any]: ...


def load_stage_config(model: type[M], department: str, stage: str, config: M | Mapping[str, Any] | None) -> M:
    """``config`` if it is already a ``model``; else validate it if given (a recorded reference to a config file:
    that file's config), else the stage's Prefect Variable (a missing Variable is a ConfigError)."""
    if isinstance(config, model):
        return config
    if config is not None:
        given = dict(config)
        referenced = resolve_reference(given)
        if referenced is not None:  # recorded by reference again, as when the run was started
            parsed = parse_config(model, referenced, str(given["config_file"]))
            return by_reference(parsed, ConfigReference.model_validate(given))
        return parse_config(model, given, f"{stage} config parameter")
    name = stage_variable_name(department, stage)
    value = Variable.get(name, default=None)
    if value is None:
        raise ConfigError(f"Prefect Variable '{name}' is not set: run `airnub variables sync` or pass a config")
    return parse_config(model, value, f"Prefect Variable '{name}'")


def stage_run_context(department_id: str, stage: str, stage_config: BaseModel | None = None) -> RunContext:
    """The context of the current stage run when this runs inside one (of the same department and stage); else a
    context resolved now (a category flow run on its own, or a stage run starting): the run's environment (see
    :func:`~airnub_prefect_starter.tasks.secrets.resolve_environment`) and the department's display name."""
    key = core_department_id(department_id)
    current = current_run_context()
    if current is not None and (current.department_id, current.stage) == (key, stage):
        return current
    environment = resolve_environment()
    return RunContext(
        environment,
        key,
        display_name(key, environment.settings.config_dir),
        stage,
        stage_config,
        current_run_ids(),
    )


def run_category_flow(
    category: str, category_flow: Callable[..., Any], **parameters: Any
) -> tuple[Sealed[Any], str | None]:
    """Run a category sub-flow to its end; return its outcomes (also when it failed), sealed (the stage flow's
    result holds them, and Prefect walks what a flow returns), and, if it crashed without outcomes, the error
    that stopped it."""
    state = category_flow(**parameters, return_state=True)
    if state.is_completed():
        return sealed(state.result()), None
    error = state.result(raise_on_failure=False)
    if isinstance(error, CategoryFailedError):  # some items failed: the category still has every outcome
        return sealed(error.outcomes), None
    get_run_logger().error("Category %s stopped: %s", category, error)
    return Sealed(), f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(state.message)


def run_categories(
    stage_config: BaseModel,
    category_flows: Mapping[str, Flow[..., Sequence[OutcomeT]]],
    categories: Sequence[str] | None,
    *,
    task_runner: TaskRunner[Any] | None = None,
    **parameters: Any,
) -> tuple[dict[str, Sealed[OutcomeT]], dict[str, str]]:
    """Run, in ``category_flows`` order, each category whose section of ``stage_config`` is present and enabled
    (and, when ``categories`` is given, is one of them), every one even after a failure.

    Each runs through :func:`run_category_flow` with ``config=<section>`` and those of ``parameters`` it takes, on
    ``task_runner`` when given. Returns the outcomes by category and the errors of the categories that stopped without
    outcomes."""
    for category in category_flows:
        if category not in type(stage_config).model_fields:
            raise ConfigError(
                f"category {category} is listed in the department's manifest but the stage config has no section for it"
            )
    selected = [
        category
        for category in category_flows
        if (section := getattr(stage_config, category)) is not None
        and section.enabled
        and (not categories or category in categories)
    ]
    idle = sorted(set(categories or ()) - set(selected))
    if idle:
        raise ConfigError(f"categories: {', '.join(idle)} has no enabled section in the stage config: nothing to run")
    by_category: dict[str, Sealed[OutcomeT]] = {}
    crashed: dict[str, str] = {}
    for category in selected:
        category_flow = category_flows[category]
        if task_runner is not None:
            category_flow = category_flow.with_options(task_runner=task_runner)
        section = section_by_reference(stage_config, getattr(stage_config, category), category)
        accepted = inspect.signature(category_flow.fn).parameters  # a flow may take the stage's bases from its run
        given = {name: value for name, value in parameters.items() if name in accepted}
        outcomes, error = run_category_flow(category, category_flow, config=section, **given)
        if error:  # stopped before producing outcomes: one row in the summary, as stopped
            crashed[category] = error
        else:
            by_category[category] = outcomes
    return by_category, crashed


def run_stage(
    contract: StageContract[OutcomeT],
    department_id: str,
    stage_config: StageConfig,
    category_flows: Mapping[str, Flow[..., Sequence[OutcomeT]]],
    categories: Sequence[str] | None,
) -> StageResult[OutcomeT]:
    """The whole body of a parent stage flow (see the module's docstring): each category flow gets its section
    of ``stage_config`` and ``stage_config.category_parameters()``. Raises
    :class:`~airnub_prefect_starter.core.errors.StageFailedError` (carrying the result) when an item failed or a
    category stopped."""
    check_categories(categories, list(category_flows))
    given = current_environment()
    config_model = stage_config if isinstance(stage_config, BaseModel) else None
    context = stage_run_context(department_id, contract.name, config_model)
    if given is None or not given.storage_checked:  # `airnub run` checked them before Prefect's API started
        check_object_storage(context.settings, context.credentials, config_model)
    with run_context_scope(context):
        return _run_stage(contract, context, stage_config, category_flows, categories)


def _run_stage(
    contract: StageContract[OutcomeT],
    context: RunContext,
    stage_config: StageConfig,
    category_flows: Mapping[str, Flow[..., Sequence[OutcomeT]]],
    categories: Sequence[str] | None,
) -> StageResult[OutcomeT]:
    logger = get_run_logger()
    department_id, department = context.department_id, context.department
    if not category_flows:
        key = core_department_id(department_id)
        logger.info(
            "%s %s: no categories yet (list them in flows/dept_%s/categories_dept_%s.yaml; `airnub new category` "
            "adds one of any kind)",
            department,
            contract.name,
            key,
            key,
        )
    runner_config = stage_config.task_runner
    concurrency = runner_config.concurrency(contract.default_concurrency)
    with stage_dask_cluster(runner_config, concurrency) as dask_address:
        by_category, crashed = run_categories(
            stage_config,  # type: ignore[arg-type]  # every stage config is a pydantic model
            category_flows,
            categories,
            task_runner=build_task_runner(runner_config, concurrency, dask_address),
            **stage_config.category_parameters(),
        )
    result = contract.result(department, by_category, crashed)
    emit_stage_event(contract, department_id, result.outcomes, department_name=department)
    publish_artifacts(contract.stage_artifacts(result, context.settings))
    logger.info("%s %s: %s", department, contract.name, result.counts_line())
    if result.failed:
        raise contract.stage_error(result)
    return result
