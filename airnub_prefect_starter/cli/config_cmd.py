"""``airnub config validate`` and ``airnub config schema``: check config files and export their JSON Schemas,
without touching Prefect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from airnub_prefect_starter.cli.output import EXIT_USAGE, err, fail, out
from airnub_prefect_starter.cli.stage_request import known_department
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.departments import check_stage, load_department_mapping
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.registry.config_files import (
    discover_config_files,
    load_any_stage_config_file,
    load_stage_config_file,
    schema_line_hint,
)
from airnub_prefect_starter.registry.models import all_department_models
from airnub_prefect_starter.registry.schemas import SCHEMA_DIR_NAME, write_schema_files

__all__ = ["app"]

app = typer.Typer(help="Validate configuration files and export their JSON Schemas.", no_args_is_help=True)


@app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files to check (default: every file under configs/variables/).")
    ] = None,
    department: Annotated[
        str | None,
        typer.Option(
            "--department",
            help="Validate FILES with this department's models, as `airnub run DEPT STAGE --config FILE` does.",
        ),
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage",
            help="The stage of FILES (default: the one their $schema line or <stage>_config_dept_<id> names).",
        ),
    ] = None,
) -> None:
    """Validate stage configs (and the department mapping). A file under configs/variables/ is checked as
    `airnub variables sync` will store it; any other file (or any file, with --department or --stage) as
    `airnub run --config` reads it. Exit 2 if any file is invalid or none is found."""
    config_dir = load_settings().config_dir
    if not files and (department is not None or stage is not None):
        fail("--department and --stage apply to the FILES given: name the files to validate")
    if department is not None:
        _check_department(department)
    if stage is not None:
        try:
            check_stage(stage)
        except ConfigError as exc:
            fail(str(exc))
    paths = files or discover_config_files(config_dir)
    problems = 0
    if not files:
        try:
            load_department_mapping(config_dir)
        except ConfigError as exc:
            problems += 1
            err.print(f"[red]invalid[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    variables = (config_dir / "variables").resolve()
    for path in paths:
        try:
            if department is None and stage is None and path.resolve().is_relative_to(variables):
                loaded = load_stage_config_file(path)
                shown = f"Variable {loaded.variable_name} ({loaded.json_chars} chars)"
            else:
                checked = load_any_stage_config_file(path, stage, department)
                shown = f"{checked.stage} config of dept_{checked.department}"
        except ConfigError as exc:
            problems += 1
            err.print(f"[red]invalid[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        else:
            out.print(f"[green]ok[/] {escape(str(path))} -> {escape(shown)}", highlight=False)
    if not paths:
        err.print(
            f"nothing to validate: no config files under {config_dir / 'variables'} (run it from the project root)"
        )
    if problems or not paths:
        raise typer.Exit(EXIT_USAGE)


def _check_department(department: str) -> None:
    """A department that exists (``flows/dept_<id>/``), else one line naming the closest; exit 2."""
    try:
        known_department(department)
    except ConfigError as exc:
        fail(f"--department: {exc}")


@app.command("schema")
def schema(
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write into (default: configs/schemas/ in the config dir)."),
    ] = None,
) -> None:
    """Write the JSON Schema of every department's stage configs (dept_<id>/<stage>_config.schema.json, from
    flows/dept_<id>/config_models_dept_<id>.py) and of the department mapping. The YAML files point at them in
    their first line, so editors validate and complete keys."""
    target = out_dir if out_dir is not None else load_settings().config_dir / SCHEMA_DIR_NAME
    try:
        written = write_schema_files(target, all_department_models())
    except ConfigError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write schemas into {target}: {exc.strerror or exc}")
    for path, changed in written.items():
        out.print(f"{'[green]wrote[/]' if changed else 'unchanged'} {escape(str(path))}", highlight=False)
    for path in sorted(set(target.rglob("*.schema.json")) - set(written)):
        out.print(f"[yellow]stale[/] {escape(str(path))} (no model writes it: delete it)", highlight=False)
    for config_file in discover_config_files(load_settings().config_dir):
        hint = schema_line_hint(config_file)
        if hint is not None:
            out.print(f"[yellow]note[/] {escape(hint)}", highlight=False, soft_wrap=True)
