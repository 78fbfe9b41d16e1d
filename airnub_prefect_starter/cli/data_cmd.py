"""``airnub data pull``: bring folders of a data dir on object storage into its local working copy, where a
notebook or a script opens them (``data_paths()`` points there)."""

from __future__ import annotations

from typing import Annotated

import typer

from airnub_prefect_starter.cli.environment import resolved_environment
from airnub_prefect_starter.cli.output import EXIT_FAILED, EXIT_USAGE, fail, out
from airnub_prefect_starter.cli.prefect_api import PrefectApiUnreachableError
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import AirnubError, ConfigError
from airnub_prefect_starter.data_science.remote_data import DEFAULT_FOLDERS, pull_data

__all__ = ["app", "pull"]

app = typer.Typer(help="Open the data dir's datasets, models and reports on this machine.", no_args_is_help=True)


@app.command("pull")
def pull(
    folders: Annotated[
        list[str] | None,
        typer.Argument(help=f"Folders of the data dir to bring over (default: {' '.join(DEFAULT_FOLDERS)})."),
    ] = None,
) -> None:
    """With the data dir on object storage (s3://...), copy FOLDERS into its local working copy (changed files
    only); a notebook's data_paths() then opens them. A local data dir needs nothing: exit 0."""
    settings = load_settings()
    if settings.data_url is None:
        out.print(f"the data dir is local ({settings.resolved_data_dir}): nothing to pull", highlight=False)
        return
    try:
        environment = resolved_environment(settings)
        pulled = pull_data(*(folders or ()), settings=environment.settings, credentials=environment.credentials)
    except (ConfigError, PrefectApiUnreachableError) as exc:
        fail(str(exc), EXIT_USAGE)
    except AirnubError as exc:
        fail(str(exc), EXIT_FAILED)
    for folder in pulled:
        out.print(folder.describe(), highlight=False)
    out.print(f"working copy: {settings.resolved_data_dir}", highlight=False)
