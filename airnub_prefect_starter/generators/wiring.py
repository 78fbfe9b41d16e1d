"""``airnub new wiring DEPT``: render a department's generated modules again from its manifest.

For a manifest edited by hand (a ``kind: manual`` category added): the stage config models follow it (the stage
flows read the manifest themselves). They are a generated file ("do not edit"), so it is rewritten as it is.
"""

from __future__ import annotations

from airnub_prefect_starter.core.departments import load_department_mapping
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.manifest import config_models_text, read_manifest
from airnub_prefect_starter.generators.naming import DepartmentNames, check_department_id
from airnub_prefect_starter.generators.plan import Plan, ProjectLayout

__all__ = ["plan_wiring"]


def plan_wiring(layout: ProjectLayout, department: str) -> Plan:
    dept_id = check_department_id(department)
    dept = DepartmentNames(dept_id, load_department_mapping(layout.config_dir).display_name(dept_id))
    package = layout.flows_dir / dept.package
    manifest_path = package / dept.manifest_file
    if not manifest_path.is_file():
        raise ConfigError(f"department '{dept_id}' has no manifest ({layout.shown(manifest_path)} not found)")
    manifest = read_manifest(manifest_path, dept_id)
    plan = Plan(layout)
    plan.edited_file(
        package / f"{dept.config_models_module}.py", config_models_text(dept, manifest), "from the manifest"
    )
    return plan
