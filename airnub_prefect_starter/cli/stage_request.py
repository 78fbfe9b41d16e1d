"""What ``airnub run DEPT STAGE --category ...`` asks for, checked without Prefect: a typo in a department, stage
or category name fails in about a second, naming the closest known name, before any Prefect API starts."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from airnub_prefect_starter.core.config import did_you_mean
from airnub_prefect_starter.core.departments import check_stage, department_id
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.manifest import read_manifest
from airnub_prefect_starter.stages.contract import check_categories

__all__ = ["check_stage_request", "known_department", "known_departments", "stage_module"]


def known_departments() -> list[str]:
    """The department ids that have a ``flows/dept_<id>/`` package."""
    import flows

    return sorted(
        m.name.removeprefix("dept_") for m in pkgutil.iter_modules(flows.__path__) if m.name.startswith("dept_")
    )


def known_department(department: str) -> str:
    """The department id, if ``flows/dept_<id>/`` exists; else a :class:`ConfigError` naming the closest."""
    key = department_id(department)
    known = known_departments()
    if key not in known:
        raise ConfigError(
            f"department '{key}': unknown{did_you_mean(key, known)} (known: {', '.join(known) or 'none'})"
        )
    return key


def stage_module(department: str, stage: str) -> ModuleType:
    """The module of the department's parent flow for ``stage``."""
    key = known_department(department)
    check_stage(stage)
    module_name = f"flows.dept_{key}.{stage}_flow_dept_{key}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not (exc.name and module_name.startswith(exc.name)):
            raise
    raise ConfigError(f"department '{key}' has no {stage} flow ({module_name} not found)") from None


def check_stage_request(department: str, stage: str, categories: Sequence[str] | None) -> None:
    """Department, stage and categories exist (else one :class:`ConfigError` naming the closest), checked before
    any Prefect API is started: a typo costs a second, not a server start and a Failed flow run. Categories are
    read from the department manifest when it has one (no flow is imported then)."""
    key = known_department(department)
    check_stage(stage)
    if not categories:
        return
    import flows

    manifest_path = Path(next(iter(flows.__path__))) / f"dept_{key}" / f"categories_dept_{key}.yaml"
    if manifest_path.is_file():
        known: list[str] = list(read_manifest(manifest_path, key).categories(stage))
    else:
        known = list(getattr(stage_module(department, stage), "CATEGORY_FLOWS", {}))
    check_categories(categories, known)
