"""``airnub new task DEPT STAGE CATEGORY TASK``: a pure function stub in the category's ``core/``, a thin
task wrapper in its ``tasks/``, and a strict-xfail test naming what to implement. Nothing is registered:
call the wrapper from the category flow once the function works.
"""

from __future__ import annotations

from airnub_prefect_starter.core.departments import load_department_mapping
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.naming import (
    DepartmentNames,
    TaskNames,
    check_category_id,
    check_department_id,
    check_stage,
    check_task_id,
)
from airnub_prefect_starter.generators.plan import Plan, ProjectLayout
from airnub_prefect_starter.generators.rendering import render

__all__ = ["plan_task"]


def plan_task(layout: ProjectLayout, department: str, stage: str, category: str, task: str) -> Plan:
    dept_id = check_department_id(department)
    dept = DepartmentNames(dept_id, load_department_mapping(layout.config_dir).display_name(dept_id))
    names = TaskNames(dept, check_stage(stage), check_category_id(category), check_task_id(task))
    folder = layout.flows_dir / dept.package / names.stage / names.category
    if not folder.is_dir():
        raise ConfigError(
            f"category '{names.category}' of {names.stage} not found in {layout.shown(folder)} "
            f"(create it with `airnub new category {dept.id} {names.stage} {names.category}`)"
        )
    core_file = folder / "core" / f"{names.core_module}.py"
    test_file = (
        layout.tests_dir / "flows" / dept.package / names.stage / names.category / f"test_{names.core_module}.py"
    )
    context = {
        "dept": dept.id,
        "stage": names.stage,
        "cat": names.category,
        "task": names.id,
        "camel": names.camel,
        "core_module": names.core_module,
        "module_path": layout.shown(core_file),
        "test_path": layout.shown(test_file),
        "task_fn": names.task_module,
        "task_name": f"{names.title} ({dept.display})",
    }
    plan = Plan(layout)
    plan.new_file(folder / "core" / "__init__.py", render("category/core_init.py.j2"), package_marker=True)
    plan.new_file(core_file, render("task/core.py.j2", **context))
    plan.new_file(folder / "tasks" / "__init__.py", "", package_marker=True)
    plan.new_file(folder / "tasks" / f"{names.task_module}.py", render("task/wrapper.py.j2", **context))
    plan.new_file(test_file, render("task/test.py.j2", **context))
    return plan
