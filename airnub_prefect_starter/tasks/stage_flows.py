"""The parent stage flow of a department, built from its stage contract, config model and category flows.

A department's ``<stage>_flow_dept_<id>.py`` is one call of :func:`stage_flow`: the Prefect flow a deployment's
entrypoint names, whose body is the one stage runner. Building it installs the guarded Prefect fix
(:mod:`~airnub_prefect_starter.tasks.prefect_compat`): a stage flow module is an entry point of deployments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect import Flow, flow
from pydantic import BaseModel

from airnub_prefect_starter.core.departments import stage_variable_name
from airnub_prefect_starter.stages.contract import StageContract
from airnub_prefect_starter.stages.results import OutcomeT, StageResult
from airnub_prefect_starter.tasks import prefect_compat
from airnub_prefect_starter.tasks.run_names import run_name
from airnub_prefect_starter.tasks.stage_runner import load_stage_config, run_stage

__all__ = ["stage_flow"]


def stage_flow(
    contract: StageContract[OutcomeT],
    department: str,
    model: type[BaseModel],
    category_flows: Mapping[str, Flow[..., list[OutcomeT]]],
    *,
    name: str,
) -> Flow[..., StageResult[OutcomeT]]:
    """The stage flow of ``department`` for ``contract``'s stage: Prefect flow ``name`` (function
    ``<stage>_flow_dept_<department>``), run names ``<department>-<stage>-<start>``. Its ``config`` parameter (a
    ``model``, its JSON form, or none: the stage's Prefect Variable) is validated once, then each category flow of
    ``category_flows`` whose section is present and enabled runs (``categories`` limits them)."""
    prefect_compat.install()  # sub-flow runs end when their body ends
    stage = contract.name

    def run(config: Any = None, categories: list[str] | None = None) -> StageResult[OutcomeT]:
        stage_config = load_stage_config(model, department, stage, config)
        return run_stage(contract, department, stage_config, category_flows, categories)

    run.__annotations__ = {**run.__annotations__, "config": model | dict[str, Any] | None}
    run.__name__ = run.__qualname__ = f"{stage}_flow_dept_{department}"
    run.__doc__ = (
        f"Config: the ``config`` parameter, else the Prefect Variable ``{stage_variable_name(department, stage)}``. "
        "``airnub run --config`` passes a validated model, which the flow run records with its URLs' credentials "
        "redacted. ``categories`` limits the run to some categories."
    )
    return flow(name=name, flow_run_name=run_name(department, stage))(run)
