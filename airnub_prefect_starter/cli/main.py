"""The ``airnub`` command. Prefect is imported lazily, inside the commands that need it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from airnub_prefect_starter import __version__
from airnub_prefect_starter.cli import blocks_cmd, config_cmd, manifest_cmd, new_cmd, variables_cmd
from airnub_prefect_starter.cli.demo_cmd import demo
from airnub_prefect_starter.cli.run_cmd import run

__all__ = ["app", "find_project_root"]

app = typer.Typer(
    name="airnub",
    help="Config-driven, idempotent Prefect 3 pipelines with a content-addressed store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("run")(run)
app.command("demo")(demo)
app.add_typer(variables_cmd.app, name="variables")
app.add_typer(blocks_cmd.app, name="blocks")
app.add_typer(config_cmd.app, name="config")
app.add_typer(manifest_cmd.app, name="manifest")
app.add_typer(new_cmd.app, name="new")


def find_project_root(start: Path) -> Path | None:
    """The nearest folder from ``start`` upwards holding both ``flows/`` and ``configs/`` (a project checkout)."""
    for folder in (start, *start.parents):
        if (folder / "flows").is_dir() and (folder / "configs").is_dir():
            return folder
    return None


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data root (CAS, index, datasets); sets AIRNUB_DATA_DIR.")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Offline-friendly Prefect defaults; each can be overridden from the environment."""
    if data_dir is not None:
        os.environ["AIRNUB_DATA_DIR"] = str(data_dir)
    # Inside a project checkout, the same Prefect home as `make demo` (unless a home or an API is chosen already):
    # a bare `airnub run` then finds the Variables `make demo` set, instead of migrating a fresh ~/.prefect.
    project = find_project_root(Path.cwd())
    if project is not None and not {"PREFECT_HOME", "PREFECT_API_URL"} & set(os.environ):
        os.environ["PREFECT_HOME"] = str(project / ".prefect")
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Prefect's SDK telemetry: no notice, no .sdk_telemetry/ folder
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "airnub_prefect_starter")
    # The package's log lines outside a run (e.g. the demo source starting) stay on the console only.
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # A fresh PREFECT_HOME migrates the local SQLite database first (~16 s on 2 cores): above Prefect's 20 s default
    # on a busy machine, so the embedded server gets longer to come up.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
