"""Find and run a department's stage flow in this process (shared by ``airnub run`` and ``airnub demo``)."""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from prefect import Flow
from prefect.client.schemas.objects import State
from pydantic import BaseModel

from airnub_prefect_starter.cli.stage_request import stage_module
from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.config import parse_config, parse_yaml, read_config_bytes
from airnub_prefect_starter.core.departments import department_id
from airnub_prefect_starter.core.errors import AirnubError, ConfigError
from airnub_prefect_starter.registry.config_files import stage_config_model
from airnub_prefect_starter.tasks import prefect_compat
from airnub_prefect_starter.tasks.config_reference import by_reference, file_reference
from airnub_prefect_starter.tasks.stage_runner import load_stage_config

__all__ = [
    "describe_prefect_api",
    "load_config_file",
    "resolve_stage_flow",
    "run_stage",
]


def resolve_stage_flow(department: str, stage: str) -> Flow[..., Any]:
    """The parent flow ``flows.dept_<id>.<stage>_flow_dept_<id>:<stage>_flow_dept_<id>``."""
    module = stage_module(department, stage)
    name = f"{stage}_flow_dept_{department_id(department)}"
    flow = getattr(module, name, None)
    if not isinstance(flow, Flow):
        raise ConfigError(f"{module.__name__} defines no flow named {name}")
    return flow


def describe_prefect_api() -> str:
    """Which Prefect API a run here will use: the configured one, or a local one started for the run."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url:
        return f"Prefect API: {settings.api.url}"
    fresh = not (settings.home / "prefect.db").exists()
    return (
        f"Prefect API: none configured; starting a local one (PREFECT_HOME={settings.home}"
        + ("; the first run sets up its database, about 15 s" if fresh else "")
        + ")..."
    )


def load_config_file(path: Path, stage: str, department: str) -> BaseModel:
    """Read and validate a stage config file given with ``--config`` (any file name), with the department's
    own stage model when it has one. The flow gets the model, not the raw mapping: Prefect records parameters
    through their JSON form, in which every URL has its credentials and secret query values redacted, and a large
    config as a reference to ``path`` (Prefect's server refuses parameters over 512 KiB)."""
    data = read_config_bytes(path)  # parsed and referenced: the same bytes
    model = parse_config(stage_config_model(stage, department), parse_yaml(data, path), str(path))
    return by_reference(model, file_reference(path, data))


def run_stage(
    department: str,
    stage: str,
    config: BaseModel | None,
    categories: list[str] | None,
    *,
    settings: AirnubSettings | None = None,
) -> Any:
    """Run the stage flow; return its result, or raise the error that failed it (typed when it is ours).

    The run is resolved once, here: ``settings`` (default: the environment's, read now), the credentials, the
    validated stage config (``config``, else the stage's Prefect Variable, read and validated once) and the bucket
    check. The flow gets the validated model as its ``config`` parameter (recorded with URLs redacted, a large one
    by reference: see :func:`load_config_file`) and the settings and credentials in this process, never as a
    parameter (:func:`~airnub_prefect_starter.tasks.run_context.given_environment`)."""
    prefect_compat.install()  # the CLI is an entry point: sub-flow runs end when their body ends
    flow = resolve_stage_flow(department, stage)
    # A missing or invalid Variable, or object storage that cannot be reached (StorageError), is one line here,
    # not a traceback from inside a flow run.
    settings = settings or load_settings()
    # Imported here: tasks import Prefect, whose settings must be read after the CLI chose PREFECT_HOME.
    from airnub_prefect_starter.core.store.backends import open_bucket
    from airnub_prefect_starter.tasks.object_storage import check_object_storage, object_storage_urls
    from airnub_prefect_starter.tasks.run_context import given_environment
    from airnub_prefect_starter.tasks.secrets import resolve_environment

    # Credentials from the environment: the data dir (and a given config's buckets) are checked before Prefect's API
    # is first asked, which starts a local one (15-19 s). Credentials from a Secret block need that API first.
    early = not settings.storage_credentials_block
    checked = check_object_storage(settings, None, config) if early else []
    model = config or load_stage_config(stage_config_model(stage, department), department, stage, None)
    environment = resolve_environment(settings)
    for url in object_storage_urls(environment.settings, model):  # the buckets not asked yet: the Variable's
        if url not in checked:
            open_bucket(url, environment.credentials).check()
    parameters: dict[str, Any] = {"config": model}
    if categories:
        parameters["categories"] = categories
    # Everything alive now (Prefect, the flows, the config) outlives the flow run: out of the cyclic collector's
    # sight while it runs, a full collection no longer walks the imported modules (0.1-0.2 s each, several per
    # run of 1000 files) to find the run's own garbage. Unfrozen after, so `airnub demo`'s next stage (and a
    # process that calls this again) can still collect what becomes garbage.
    gc.freeze()
    try:
        with given_environment(replace(environment, storage_checked=True)):
            state = cast(State[Any], flow(**parameters, return_state=True))
    finally:
        gc.unfreeze()
    if state.is_completed():
        return state.result()
    error = state.result(raise_on_failure=False)
    if isinstance(error, BaseException):
        raise error
    raise AirnubError(f"{department} {stage}: flow run ended {state.type.value}: {state.message}")
