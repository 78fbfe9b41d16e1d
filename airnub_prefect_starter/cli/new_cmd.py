"""``airnub new department | category | task``: scaffold code, config, deployments and tests.

Each command plans every file first; a refused plan (invalid id, something exists that differs) writes
nothing and exits 2. ``--dry-run`` prints the plan. Running a command twice reports everything unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from airnub_prefect_starter.cli.environment import resolved_environment
from airnub_prefect_starter.cli.output import EXIT_FAILED, EXIT_USAGE, err, fail, out
from airnub_prefect_starter.cli.prefect_api import PrefectApiUnreachableError
from airnub_prefect_starter.cli.schema_cmd import FORMATS
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import ConfigError, RawDataError, StorageError
from airnub_prefect_starter.generators import (
    Action,
    Plan,
    ProjectLayout,
    plan_category,
    plan_department,
    plan_task,
    plan_wiring,
)
from airnub_prefect_starter.generators.category import LaterStageOptions
from airnub_prefect_starter.generators.naming import STAGE_KINDS

__all__ = ["app"]

_KINDS_HELP = "; ".join(f"{stage}: {', '.join(kinds)}" for stage, kinds in STAGE_KINDS.items())

#: The test runner as the Makefile installs it (`make demo` installs no test tools: `make install-dev` does).
PYTEST = ".venv/bin/python -m pytest"

app = typer.Typer(
    help="Scaffold a department, a category or a task: code, config, deployments and tests.", no_args_is_help=True
)

ProjectDir = Annotated[
    Path, typer.Option("--project-dir", help="Project root holding flows/, configs/, tests/ and prefect.yaml.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the files it would write or edit; write nothing.")]


def _execute(project_dir: Path, dry_run: bool, make_plan: Callable[[ProjectLayout], Plan]) -> Plan:
    if not (project_dir / "flows").is_dir():
        fail(f"{project_dir.resolve()}: no flows/ folder here (run it from the project root or pass --project-dir)")
    layout = ProjectLayout.at(project_dir, load_settings().config_dir)
    try:
        plan = make_plan(layout)
    except ConfigError as exc:
        fail(str(exc))
    except (RawDataError, StorageError) as exc:  # the input is stored but cannot be read (or no longer hashes)
        fail(str(exc), EXIT_FAILED)
    if plan.conflicts:
        for conflict in plan.conflicts:
            err.print(f"[bold red]refused:[/] {escape(conflict)}", highlight=False, soft_wrap=True)
        err.print("nothing written")
        raise typer.Exit(EXIT_USAGE)
    prefix = "would " if dry_run else ""
    for change in plan.changes:
        writes_file = change.action in (Action.CREATE, Action.UPDATE)
        verb = f"{prefix}{change.action.value}" if writes_file else change.action.value
        note = f"  ({change.note})" if change.note else ""
        out.print(f"{verb:>14}  {layout.shown(change.path)}{note}", highlight=False, markup=False)
    for note in plan.notes:
        err.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    writes = plan.writes
    if dry_run:
        out.print(f"dry run: {len(writes)} files would be written; nothing written", highlight=False)
    elif not writes:
        out.print(f"unchanged: all {len(plan.changes)} files are already as generated; nothing written")
    else:
        plan.apply()
        created = sum(1 for c in writes if c.action is Action.CREATE)
        out.print(f"done: {created} files created, {len(writes) - created} updated", highlight=False)
    return plan


@app.command("department")
def department(
    department_id: Annotated[str, typer.Argument(metavar="ID", help="Department id, e.g. beta (as in dept_beta).")],
    name: Annotated[str | None, typer.Option("--name", help="Display name (default: the id in title case).")] = None,
    description: Annotated[str, typer.Option("--description", help="One line about the department.")] = "",
    dry_run: DryRun = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """A department: three parent stage flows, their configs, its mapping entry, deployments and a test."""
    plan = _execute(project_dir, dry_run, lambda layout: plan_department(layout, department_id, name, description))
    if plan.writes and not dry_run:
        key = department_id.removeprefix("dept_")
        out.print(f"next: airnub new category {key} ingestion <category> --kind downloads --url <file URL>")


@app.command("category")
def category(
    department_id: Annotated[str, typer.Argument(metavar="DEPT", help="Department id made by `airnub new`.")],
    stage: Annotated[str, typer.Argument(help="ingestion, processing or analysis.")],
    category_id: Annotated[str, typer.Argument(metavar="CATEGORY", help="Category id, e.g. reports.")],
    kind: Annotated[str | None, typer.Option("--kind", help=f"Starting point: {_KINDS_HELP}.")] = None,
    url: Annotated[
        list[str] | None, typer.Option("--url", help="Ingestion: seed the config section with this URL (repeatable).")
    ] = None,
    input_ref: Annotated[
        str | None,
        typer.Option(
            "--input",
            metavar="CATEGORY[.ITEM]",
            help="Processing: the ingestion category (and item) whose newest stored object gives the schema.",
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"Processing: {', '.join(FORMATS)} (default: from the file name).")
    ] = None,
    records_key: Annotated[
        str | None,
        typer.Option(
            "--records-key",
            metavar="KEY",
            help="Processing: the top-level key of a json input holding the records, written as reader.records_key "
            "(default: the array, else the only key holding a list of objects).",
        ),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Analysis: the processed dataset to analyse.")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Analysis: the column to predict; a float column by a regression, others by a classifier "
            "(default: the schema's target; neither: statistics and figures only).",
        ),
    ] = None,
    dry_run: DryRun = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """A category flow and task wrapper wired into the stage, its config section and a test. Processing
    (--kind tabular) declares a dataset named like the category, its schema inferred from the input's newest stored
    object; analysis (--kind report) reports on a declared dataset: statistics, figures and, given a target, a
    classifier or a regression of it."""
    if fmt is not None and fmt not in FORMATS:
        fail(f"--format {fmt}: must be one of {', '.join(FORMATS)}")
    chosen = kind or STAGE_KINDS.get(stage, ("downloads",))[0]
    index_url, credentials = None, None
    if chosen == "tabular" and input_ref is not None:  # the index the input is stored in, as the flows find it
        try:
            environment = resolved_environment()
        except (ConfigError, PrefectApiUnreachableError) as exc:
            fail(str(exc))
        index_url, credentials = environment.settings.resolved_index_url, environment.credentials
    later = LaterStageOptions(
        input=input_ref,
        format=FORMATS[fmt] if fmt else None,
        records_key=records_key or None,
        dataset=dataset,
        target=target,
        index_url=index_url,
        credentials=credentials,
    )
    plan = _execute(
        project_dir,
        dry_run,
        lambda layout: plan_category(layout, department_id, stage, category_id, chosen, url or (), later),
    )
    if plan.writes and not dry_run:
        key = department_id.removeprefix("dept_")
        config = plan.layout.shown(plan.layout.variables_dir / f"dept_{key}" / f"{stage}_config_dept_{key}.yaml")
        tests = plan.layout.shown(plan.layout.tests_dir / "flows" / f"dept_{key}")
        out.print(f"next: {PYTEST} {tests}   (`make install-dev` first if `make test` never ran)")
        out.print(f"      airnub run {key} {stage} --config {config}")


@app.command("task")
def task(
    department_id: Annotated[str, typer.Argument(metavar="DEPT", help="Department id.")],
    stage: Annotated[str, typer.Argument(help="ingestion, processing or analysis.")],
    category_id: Annotated[str, typer.Argument(metavar="CATEGORY", help="An existing category of the stage.")],
    task_id: Annotated[str, typer.Argument(metavar="TASK", help="The step's name, e.g. summarise_rows.")],
    dry_run: DryRun = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """A pure function stub, its task wrapper, and a strict-xfail test naming what to implement."""
    plan = _execute(project_dir, dry_run, lambda layout: plan_task(layout, department_id, stage, category_id, task_id))
    if plan.writes and not dry_run:
        for change in plan.writes:
            if change.path.name.startswith("test_"):
                test = plan.layout.shown(change.path)
                out.print(f"next: implement {task_id}; its test is a strict xfail until then: {PYTEST} {test}")


@app.command("wiring")
def wiring(
    department_id: Annotated[str, typer.Argument(metavar="DEPT", help="Department id made by `airnub new`.")],
    dry_run: DryRun = False,
    project_dir: ProjectDir = Path("."),
) -> None:
    """Render the department's stage config models again from its manifest (after adding a hand-written
    `kind: manual` category to it; the stage flows read the manifest themselves)."""
    _execute(project_dir, dry_run, lambda layout: plan_wiring(layout, department_id))
