"""Scaffolding for ``airnub new``: departments, categories and tasks rendered from the Jinja2 templates in
``templates/``, planned before anything is written (:mod:`.plan`), idempotent, and registered structurally
(YAML round-trips in :mod:`.yaml_edits`, config models rendered again from the department manifest).

Pure: no Prefect import, so planning works (and ``--dry-run`` answers) without a Prefect install or server.
"""

from airnub_prefect_starter.generators.category import plan_category
from airnub_prefect_starter.generators.department import plan_department
from airnub_prefect_starter.generators.plan import Action, Change, Plan, ProjectLayout
from airnub_prefect_starter.generators.task import plan_task
from airnub_prefect_starter.generators.wiring import plan_wiring

__all__ = ["Action", "Change", "Plan", "ProjectLayout", "plan_category", "plan_department", "plan_task", "plan_wiring"]
