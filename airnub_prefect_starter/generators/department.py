"""``airnub new department``: a department with three parent stage flows (the same shape as Project Alpha's: one
stage runner, one stage contract per stage) and no category yet.

Writes ``flows/dept_<id>/`` (package, manifest, config models, three stage flows), the three stage configs under
``configs/variables/dept_<id>/`` (each naming its JSON Schema, written under ``configs/schemas/dept_<id>/``), a
test module under ``tests/flows/dept_<id>/``,
and registers the department in ``configs/department_mapping.yaml`` and (when it exists) ``prefect.yaml``.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from airnub_prefect_starter.core.config import parse_config
from airnub_prefect_starter.core.departments import STAGES, DepartmentMapping
from airnub_prefect_starter.generators.manifest import (
    STAGE_BASES,
    DepartmentManifest,
    config_models_text,
    stage_flow_text,
)
from airnub_prefect_starter.generators.naming import DepartmentNames, check_department_id, check_display_name
from airnub_prefect_starter.generators.plan import Plan, ProjectLayout
from airnub_prefect_starter.generators.rendering import render
from airnub_prefect_starter.generators.schema_files import plan_department_schemas
from airnub_prefect_starter.generators.yaml_edits import YamlDocument, add_deployments, add_mapping_entry
from airnub_prefect_starter.stages.events import DATASETS_BUILT, OBJECTS_STORED, department_resource_id

__all__ = ["plan_department"]

_NEW_MAPPING = "# Department id -> how people see it (flow-run names, artifacts, summaries).\ndepartments: {}\n"


def plan_department(layout: ProjectLayout, department: str, display: str | None, description: str = "") -> Plan:
    dept_id = check_department_id(department)
    dept = DepartmentNames(dept_id, check_display_name(display or dept_id.replace("_", " ").title()))
    plan = Plan(layout)
    package = layout.flows_dir / dept.package
    empty = DepartmentManifest(department=dept.id, stages={stage: {} for stage in STAGES})

    plan.new_file(package / "__init__.py", render("department/dept_init.py.j2", dept=dept.id, display=dept.display))
    plan.new_file(package / dept.manifest_file, render("department/manifest.yaml.j2", dept=dept.id))
    plan.new_file(package / f"{dept.config_models_module}.py", config_models_text(dept, empty))
    for stage in STAGES:
        plan.new_file(package / f"{dept.stage_flow(stage)}.py", stage_flow_text(dept, stage))
    for stage in STAGES:
        plan.new_file(
            layout.variables_dir / dept.package / dept.stage_config_file(stage),
            render("department/stage_config.yaml.j2", dept=dept.id, stage=stage, model=STAGE_BASES[stage].model),
        )
    stages = [{"id": stage, "flow": dept.stage_flow(stage)} for stage in STAGES]
    plan.new_file(
        layout.tests_dir / "flows" / dept.package / f"test_stage_flows_dept_{dept.id}.py",
        render(
            "department/test_stage_flows.py.j2",
            dept=dept.id,
            stages=sorted(stages, key=lambda s: s["id"]),
            run_order=stages,
        ),
    )
    _register_in_mapping(plan, dept, description)
    _register_deployments(plan, dept)
    plan_department_schemas(plan, dept.id)
    return plan


def _register_in_mapping(plan: Plan, dept: DepartmentNames, description: str) -> None:
    path = plan.layout.mapping_file
    document = YamlDocument.parse(plan.current(path) or _NEW_MAPPING, plan.layout.shown(path))
    entry = CommentedMap(display_name=dept.display)
    if description.strip():
        entry["description"] = description.strip()
    edit = add_mapping_entry(document, ("departments",), dept.id, entry, plan.layout.shown(path))
    if edit.conflict:
        plan.conflicts.append(edit.conflict)
        return
    if edit.text is not None:
        parse_config(DepartmentMapping, document.snippet(edit.text), plan.layout.shown(path))
    plan.edited_file(path, edit.text, f"departments.{dept.id}")


def _first_work_pool(deployments: list[Any]) -> Any:
    """The work pool of the first deployment that has one (an anchored node: the new ones share it)."""
    for deployment in deployments:
        if isinstance(deployment, dict) and isinstance(deployment.get("work_pool"), dict):
            return deployment["work_pool"]
    return CommentedMap(name="airnub-process")


def _register_deployments(plan: Plan, dept: DepartmentNames) -> None:
    path = plan.layout.prefect_yaml
    text = plan.current(path)
    if text is None:
        plan.skip(path, "not found: no deployments added; run this command again once it exists")
        return
    document = YamlDocument.parse(text, plan.layout.shown(path))
    snippet = render(
        "department/deployments.yaml.j2",
        dept=dept.id,
        display=dept.display,
        objects_stored=OBJECTS_STORED,
        datasets_built=DATASETS_BUILT,
        resource_id=department_resource_id(dept.id),
    )
    if not document.faithful:
        plan.skip(path, "a YAML round-trip would reformat it: add the deployments by hand:\n" + snippet)
        return
    edit = add_deployments(document, document.snippet(snippet), plan.layout.shown(path), _first_work_pool)
    if edit.conflict:
        plan.conflicts.append(edit.conflict)
        return
    names = ", ".join(f"{dept.id}-{stage}" for stage in STAGES)
    plan.edited_file(path, edit.text, f"deployments {names}")
