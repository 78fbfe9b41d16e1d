"""``airnub new category DEPT STAGE CATEGORY --kind ...``: a category flow and its task wrapper, wired into
the stage, with a config section and a test. Ingestion kinds fetch into the store; ``tabular`` (processing)
declares a dataset inferred from an ingestion category's newest stored object, and ``report`` (analysis) analyses
a declared dataset (see :mod:`~airnub_prefect_starter.generators.dataset_sections`).

Registration is structural: the category is added to the department manifest (YAML round-trip), the two
generated config models are rendered again from it, the section is added to the stage config YAML (round-trip,
comments kept), and the department's JSON Schemas are written again from its new models. A department not made
by ``airnub new department`` has no manifest: refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from airnub_prefect_starter.core.config import format_validation_error
from airnub_prefect_starter.core.departments import load_department_mapping
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.http.policy import is_forbidden_address
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.data_science.recipes import RawFormat
from airnub_prefect_starter.generators.dataset_sections import (
    DatasetInput,
    analysed_input,
    dataset_input,
)
from airnub_prefect_starter.generators.manifest import config_models_text, read_manifest
from airnub_prefect_starter.generators.naming import (
    STOCK_KINDS,
    CategoryNames,
    DepartmentNames,
    check_category_id,
    check_department_id,
    check_kind,
    check_stage,
)
from airnub_prefect_starter.generators.plan import Plan, ProjectLayout
from airnub_prefect_starter.generators.rendering import render
from airnub_prefect_starter.generators.schema_files import plan_department_schemas
from airnub_prefect_starter.generators.yaml_edits import YamlDocument, add_mapping_entry
from airnub_prefect_starter.ingestion.config import FileToAcquire

__all__ = ["ITEMS_KEYS", "LaterStageOptions", "plan_category"]

#: The key of each kind's item list in its config section.
ITEMS_KEYS = {**{name: kind.items_key for name, kind in STOCK_KINDS.items()}, "custom": "items"}


@dataclass(frozen=True)
class LaterStageOptions:
    """What a processing (``--input``, ``--format``, ``--records-key``) or analysis (``--dataset``, ``--target``)
    category reads."""

    input: str | None = None
    format: RawFormat | None = None
    records_key: str | None = None
    dataset: str | None = None
    target: str | None = None
    index_url: str | None = None  # where ``input`` is stored: the CLI resolves it (default: the environment's)
    credentials: S3Credentials | None = None  # to read ``input`` from object storage (default: the AWS variables)


def _seed_items(urls: Sequence[str]) -> list[dict[str, str]]:
    """``{name, url}`` per ``--url``: the name from the URL's last path segment, made unique."""
    items: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, url in enumerate(urls, 1):
        stem = PurePosixPath(urlsplit(url).path).stem
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_.-") or f"item{number}"
        while name in seen:
            name = f"{name}_{number}"
        seen.add(name)
        try:
            FileToAcquire(name=name, url=url)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(f"--url {url}", exc)) from None
        items.append({"name": name, "url": url})
    return items


def _is_private(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip_address(host)
    except ValueError:
        return False  # a name: only DNS can tell, and the policy checks it at run time
    return is_forbidden_address(host)


def _context(names: CategoryNames) -> dict[str, Any]:
    dept = names.dept
    stock = STOCK_KINDS.get(names.kind)
    return {
        "kind_constant": names.kind.upper(),
        "description": stock.description[:1].upper() + stock.description[1:] if stock is not None else "",
        "dept": dept.id,
        "stage": names.stage,
        "cat": names.id,
        "camel": names.camel,
        "kind": names.kind,
        "stage_flow": dept.stage_flow(names.stage),
        "flow_fn": names.flow_module,
        "flow_name": f"{names.stage.capitalize()}: {names.id} ({dept.display})",
        "task_module": names.task_module,
        "task_fn": names.task_module,
        "task_name": f"{names.verb.capitalize()} {names.id} ({dept.display})",
        "config_module": names.config_module,
        "check_module": names.check_module,
    }


def plan_category(
    layout: ProjectLayout,
    department: str,
    stage: str,
    category: str,
    kind: str,
    urls: Sequence[str] = (),
    later: LaterStageOptions | None = None,
) -> Plan:
    dept_id = check_department_id(department)
    stage = check_stage(stage)
    category = check_category_id(category)
    chosen = check_kind(kind, stage)
    later = later or LaterStageOptions()
    if chosen == "tabular" and later.input is None:
        raise ConfigError("--kind tabular reads an ingestion category: give --input CATEGORY (or CATEGORY.ITEM)")
    if chosen != "tabular" and later.records_key is not None:
        raise ConfigError("--records-key names where a json input's records are: give it with --kind tabular")
    if chosen == "report" and later.dataset is None:
        raise ConfigError("--kind report analyses a processed dataset: give --dataset DATASET")
    package = layout.flows_dir / f"dept_{dept_id}"
    dept = DepartmentNames(dept_id, load_department_mapping(layout.config_dir).display_name(dept_id))
    manifest_path = package / dept.manifest_file
    if not manifest_path.is_file():
        raise ConfigError(
            f"department '{dept_id}' was not made by `airnub new department` ({layout.shown(manifest_path)} "
            "not found): add the category to its stage flow and config model by hand"
        )
    manifest = read_manifest(manifest_path, dept_id)
    wiring = package / stage / f"categories_dept_{dept_id}.py"
    if wiring.is_file():  # generated before stage flows read the manifest: a new category would never run
        raise ConfigError(
            f"{layout.shown(wiring)}: department '{dept_id}' was generated before stage flows read the manifest: write "
            "its stage flows in the current form and delete its <stage>/categories_dept_<id>.py (docs/extending.md)"
        )
    names = CategoryNames(dept, stage, category, chosen)
    plan = Plan(layout)
    known = manifest.categories(stage).get(category)
    if known is not None and (known.kind != chosen or known.flow is not None):
        shape = f"--kind {known.kind}" + (f" and its own flow module {known.flow}" if known.flow else "")
        plan.conflicts.append(f"category '{category}' of {stage} exists with {shape}")
        return plan
    updated = manifest.with_category(stage, category, chosen)

    document = YamlDocument.parse(manifest_path.read_text(encoding="utf-8"), layout.shown(manifest_path))
    edit = add_mapping_entry(document, ("stages", stage), category, chosen, layout.shown(manifest_path))
    if edit.conflict:
        plan.conflicts.append(edit.conflict)
        return plan
    plan.edited_file(manifest_path, edit.text, f"stages.{stage}.{category}: {chosen}")
    plan.regenerated_file(
        package / f"{dept.config_models_module}.py",
        config_models_text(dept, updated),
        config_models_text(dept, manifest),
        note=f"{stage} section {category}",
    )
    if chosen == "tabular":
        assert later.input is not None
        found = dataset_input(
            plan, dept, later.input, later.format, later.index_url, later.records_key, later.credentials
        )
        plan.notes.extend(found.inferred.notes)
        _plan_code(plan, names, _tabular_context(names, found))
        _plan_section(plan, names, _tabular_section(names, found))
    elif chosen == "report":
        assert later.dataset is not None
        analysed = analysed_input(plan, dept, later.dataset, later.target)
        context = {"dataset": analysed.dataset, "processing_category": analysed.processing_category}
        _plan_code(plan, names, context)
        section = render("category/section_report.yaml.j2", target=analysed.target, task=analysed.task, **context)
        _plan_section(plan, names, section)
    else:
        _plan_code(plan, names)
        _plan_config_section(plan, names, urls)
    if not plan.conflicts:
        plan_department_schemas(plan, dept.id)
    return plan


def _sample_file(names: CategoryNames, found: DatasetInput) -> str | None:
    return f"sample_{names.id}.{found.inferred.format}" if found.sample is not None else None


def _tabular_context(names: CategoryNames, found: DatasetInput) -> dict[str, Any]:
    return {
        "dataset": names.id,
        "data_source_name": found.selector.data_source_name,
        "item": found.selector.name,
        "format": found.inferred.format,
        "rows_kept": found.inferred.rows_kept,
        "quarantine": found.inferred.quarantine,
        "source": found.source,
        "sample_file": _sample_file(names, found),
        "sample": found.sample,
    }


def _tabular_section(names: CategoryNames, found: DatasetInput) -> str:
    return render(
        "category/section_tabular.yaml.j2",
        dataset=names.id,
        data_source_name=found.selector.data_source_name,
        item=found.selector.name,
        declaration=found.inferred.to_yaml(source=found.source, indent=4).rstrip("\n"),
    )


def _plan_code(plan: Plan, names: CategoryNames, extra: dict[str, Any] | None = None) -> None:
    """A stock kind: one module naming its kind (the flow and its task wrapper are built from it). ``custom``:
    the flow, its task wrapper, its config model and a pure check, all yours. And the category's test."""
    context = {**_context(names), **(extra or {})}
    folder = plan.layout.flows_dir / names.dept.package / names.stage / names.id
    if names.kind in STOCK_KINDS:
        plan.new_file(folder / f"{names.flow_module}.py", render("category/flow_stock.py.j2", **context))
    else:
        plan.new_file(folder / "__init__.py", "", package_marker=True)
        plan.new_file(folder / f"{names.flow_module}.py", render("category/flow_custom.py.j2", **context))
        plan.new_file(folder / "tasks" / "__init__.py", "", package_marker=True)
        plan.new_file(folder / "tasks" / f"{names.task_module}.py", render("category/task_custom.py.j2", **context))
        plan.new_file(folder / f"{names.config_module}.py", render("category/config_custom.py.j2", **context))
        plan.new_file(folder / "core" / "__init__.py", render("category/core_init.py.j2"), package_marker=True)
        plan.new_file(folder / "core" / f"{names.check_module}.py", render("category/check_custom.py.j2", **context))
    tests = plan.layout.tests_dir / "flows" / names.dept.package / names.stage / names.id
    plan.new_file(tests / f"test_{names.flow_module}.py", render(f"category/test_{names.kind}.py.j2", **context))
    sample = context.get("sample")
    if context.get("sample_file") and isinstance(sample, str):
        plan.new_file(tests / str(context["sample_file"]), sample)


def _plan_section(plan: Plan, names: CategoryNames, section_text: str) -> None:
    """Add the rendered section under the category's key of the stage config (comments kept)."""
    path = plan.layout.variables_dir / names.dept.package / names.dept.stage_config_file(names.stage)
    text = plan.current(path)
    if text is None:
        raise ConfigError(f"{plan.layout.shown(path)} not found: the stage config `airnub new department` wrote")
    document = YamlDocument.parse(text, plan.layout.shown(path))
    edit = add_mapping_entry(
        document, (), names.id, document.snippet(section_text), plan.layout.shown(path), require_faithful=False
    )
    if edit.conflict:
        plan.conflicts.append(edit.conflict)
        return
    if edit.text is not None:
        document.data.yaml_set_comment_before_after_key(
            names.id, before=f"\nCategory {names.id} (--kind {names.kind}), added by `airnub new category`"
        )
        plan.edited_file(path, document.dump(), f"section {names.id}")
    else:
        plan.edited_file(path, None, f"section {names.id}")


def _plan_config_section(plan: Plan, names: CategoryNames, urls: Sequence[str]) -> None:
    items = _seed_items(urls)
    section_text = render(
        "category/section.yaml.j2",
        kind=names.kind,
        data_source_name=names.data_source_name,
        storage_base=names.storage_base,
        private=any(_is_private(item["url"]) for item in items),
        items_key=ITEMS_KEYS[names.kind],
        items=items,
    )
    _plan_section(plan, names, section_text)
