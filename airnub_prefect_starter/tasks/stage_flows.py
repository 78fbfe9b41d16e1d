"""The parent stage flow of a department, built from its stage contract, its config model and the category flows
its manifest lists.

A department's ``<stage>_flow_dept_<id>.py`` is one call of :func:`stage_flow`: the Prefect flow a deployment's
entrypoint names, whose body is the one stage runner. Its category flows are found through the department's
manifest (:func:`category_flows`, Kedro's ``find_pipelines()`` idea): each category's flow module, imported when
the stage flow is built, so a missing one fails there, in one line. Building it installs the guarded Prefect fix
(:mod:`~airnub_prefect_starter.tasks.prefect_compat`): a stage flow module is an entry point of deployments.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prefect import Flow, flow
from pydantic import BaseModel

from airnub_prefect_starter.core.departments import stage_variable_name
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.registry.manifest import category_flow_module, manifest_file, read_manifest
from airnub_prefect_starter.stages.contract import StageContract
from airnub_prefect_starter.stages.results import OutcomeT, StageResult
from airnub_prefect_starter.tasks import prefect_compat
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.stage_runner import load_stage_config, run_stage

__all__ = ["category_flows", "stage_flow"]

#: The package departments live in: ``flows.dept_<id>``.
FLOWS_PACKAGE = "flows"


def category_flows(department: str, stage: str, package: str | None = None) -> dict[str, Flow[..., Sequence[Any]]]:
    """The flows of the ``stage`` categories the manifest of ``department`` lists, in run order: each imported
    from ``<package>.<stage>.<category>.<flow module>`` (``package``: ``flows.dept_<department>``). A manifest,
    module or flow that is missing is a :class:`ConfigError` naming it."""
    package = package or f"{FLOWS_PACKAGE}.dept_{department}"
    folders = getattr(importlib.import_module(package), "__path__", [])
    path = Path(next(iter(folders))) / manifest_file(department)
    if not path.is_file():
        raise ConfigError(
            f"department {department}: no manifest {path.name} in {package} (see `airnub new department`)"
        )
    found: dict[str, Flow[..., Sequence[Any]]] = {}
    for category, entry in read_manifest(path, department).categories(stage).items():
        name = category_flow_module(department, category, entry)
        module = f"{package}.{stage}.{category}.{name}"
        try:
            category_flow = getattr(importlib.import_module(module), name, None)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise
            raise ConfigError(f"{path.name}: stages.{stage}.{category}: module {module} not found") from None
        if not isinstance(category_flow, Flow):
            raise ConfigError(f"{path.name}: stages.{stage}.{category}: {module} has no flow {name}")
        found[category] = category_flow
    return found


def stage_flow(
    contract: StageContract[OutcomeT],
    department: str,
    model: type[BaseModel],
    *,
    name: str,
    flows: Mapping[str, Flow[..., Sequence[OutcomeT]]] | None = None,
) -> Flow[..., StageResult[OutcomeT]]:
    """The stage flow of ``department`` for ``contract``'s stage: Prefect flow ``name`` (function
    ``<stage>_flow_dept_<department>``), run names ``<department>-<stage>-<start>``. Its ``config`` parameter (a
    ``model``, its JSON form, or none: the stage's Prefect Variable) is validated once, then each category flow
    (``flows``, by default those the department's manifest lists: :func:`category_flows`) whose section is present
    and enabled runs (``categories`` limits them)."""
    prefect_compat.install()  # sub-flow runs end when their body ends
    stage = contract.name
    category_flows_: Mapping[str, Flow[..., Sequence[Any]]] = (
        flows if flows is not None else category_flows(department, stage)
    )

    def run(config: Any = None, categories: list[str] | None = None) -> StageResult[OutcomeT]:
        stage_config = load_stage_config(model, department, stage, config)
        return run_stage(contract, department, stage_config, category_flows_, categories)

    run.__annotations__ = {**run.__annotations__, "config": model | dict[str, Any] | None}
    run.__name__ = run.__qualname__ = f"{stage}_flow_dept_{department}"
    run.__doc__ = (
        f"Config: the ``config`` parameter, else the Prefect Variable ``{stage_variable_name(department, stage)}``. "
        "``airnub run --config`` passes a validated model, which the flow run records with its URLs' credentials "
        "redacted. ``categories`` limits the run to some categories."
    )
    return flow(name=name, flow_run_name=run_name(department, stage))(run)
