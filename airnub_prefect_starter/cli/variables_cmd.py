"""``airnub variables sync``: validate every stage config file, then set the Prefect Variables."""

from __future__ import annotations

import difflib
import json
from typing import Annotated, Any

import typer

from airnub_prefect_starter.cli.output import EXIT_FAILED, EXIT_USAGE, err, fail, out
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.registry.config_files import StageConfigFile, discover_config_files, load_stage_config_file

__all__ = ["app", "sync_variables"]

app = typer.Typer(help="Prefect Variables holding stage configs.", no_args_is_help=True)


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True).splitlines(keepends=True)


def load_all_config_files() -> list[StageConfigFile]:
    """Every config file, validated; raise one ConfigError listing every invalid file (nothing is set)."""
    loaded, problems = [], []
    for path in discover_config_files(load_settings().config_dir):
        try:
            loaded.append(load_stage_config_file(path))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    return loaded


def sync_variables(
    files: list[StageConfigFile], *, dry_run: bool, overwrite: bool, show_diff: bool = True
) -> dict[str, str]:
    """Set each file's Variable; return ``{variable: new|changed|unchanged|differs}``."""
    from prefect.variables import Variable

    outcome: dict[str, str] = {}
    for file in files:
        current = Variable.get(file.variable_name, default=None)
        if current == file.value:
            outcome[file.variable_name] = "unchanged"
            continue
        status = "new" if current is None else ("changed" if overwrite else "differs")
        outcome[file.variable_name] = status
        if show_diff and current is not None:
            diff = difflib.unified_diff(_pretty(current), _pretty(file.value), "prefect", str(file.path))
            err.print("".join(diff), highlight=False, markup=False)
        if not dry_run and status in ("new", "changed"):
            Variable.set(file.variable_name, file.value, overwrite=True)
    return outcome


@app.command("sync")
def sync(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace Variables whose value differs.")] = False,
) -> None:
    """Validate every YAML under configs/variables/ (exit 2, nothing set, if any is invalid), then set the
    Variables and show what changed. Exit 1 when a Variable differs from its file and --overwrite is not given; exit 2
    when a Prefect API set with PREFECT_API_URL does not answer."""
    try:
        files = load_all_config_files()
    except ConfigError as exc:
        for line in str(exc).splitlines():
            err.print(f"[red]invalid[/] {line}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    from airnub_prefect_starter.cli.prefect_api import PrefectApiUnreachableError, require_prefect_api

    try:
        require_prefect_api()  # a configured API that is down: one line, not a traceback from the first Variable
    except PrefectApiUnreachableError as exc:
        fail(str(exc), EXIT_USAGE)
    outcome = sync_variables(files, dry_run=dry_run, overwrite=overwrite)
    verb = "would be" if dry_run else "is"
    for name, status in outcome.items():
        note = {
            "differs": " (differs from the file; use --overwrite)",
            "new": f" ({verb} created)",
            "changed": f" ({verb} updated)",
        }
        out.print(f"{status:>9}  {name}{note.get(status, '')}", highlight=False)
    differs = [name for name, status in outcome.items() if status == "differs"]
    if differs:
        err.print(f"not applied: {', '.join(differs)} differ from their files; use --overwrite", highlight=False)
        raise typer.Exit(EXIT_FAILED)
