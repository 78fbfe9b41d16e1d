"""``airnub run DEPT STAGE``: run a stage flow now, in this process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape

from airnub_prefect_starter.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    err,
    fail,
    live_progress,
    out,
    print_json,
    print_stage,
)
from airnub_prefect_starter.cli.stage_request import check_stage_request
from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.errors import AirnubError, ConfigError, StageFailedError, StorageError
from airnub_prefect_starter.stages.results import StageResult

__all__ = ["run"]


def run(
    ctx: typer.Context,
    department: Annotated[str, typer.Argument(help="Department id: project_alpha or dept_project_alpha.")],
    stage: Annotated[str, typer.Argument(help="ingestion, processing or analysis.")],
    config: Annotated[
        Path | None, typer.Option("--config", help="Stage config YAML to use instead of the Prefect Variable.")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Run only this category (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON summary on stdout.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's INFO logs on the console.")] = False,
) -> None:
    """Run a stage flow. Exit 0 when every item succeeded, 1 when some failed, 2 on bad config or usage (object
    storage that cannot be used included: no such bucket, credentials refused, endpoint down; and a Prefect API
    set with PREFECT_API_URL that does not answer)."""
    try:
        check_stage_request(department, stage, category)  # typos fail here, before Prefect is even imported
    except ConfigError as exc:
        _fail_usage(exc, as_json)
    if not verbose:  # as `airnub demo`: progress bars and the result, Prefect's warnings and errors only
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from airnub_prefect_starter.cli.prefect_api import PrefectApiUnreachableError, require_prefect_api
    from airnub_prefect_starter.cli.stage_invocation import describe_prefect_api, load_config_file, run_stage

    try:
        require_prefect_api()  # a configured API that is down: one line, before any work
    except PrefectApiUnreachableError as exc:
        _fail_usage(exc, as_json)
    settings = ctx.obj if isinstance(ctx.obj, AirnubSettings) else load_settings()  # read by the app's callback
    try:
        stage_config = load_config_file(config, stage, department) if config else None
        err.print(describe_prefect_api(), highlight=False, markup=False, soft_wrap=True)
        with live_progress(enabled=not as_json and err.is_terminal):
            result = run_stage(department, stage, stage_config, category, settings=settings)
        code = EXIT_OK
    except (ConfigError, StorageError) as exc:  # a StorageError here is the startup check's: stages fail items
        _fail_usage(exc, as_json)
    except StageFailedError as exc:
        result, code = exc.result, EXIT_FAILED
        err.print(f"[bold red]failed:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        _hint_demo_source(result)
    except AirnubError as exc:
        if as_json:
            print_json({"error": str(exc), "items": [], "counts": {}})
        fail(str(exc), EXIT_FAILED)
    _report(result, as_json, settings)
    raise typer.Exit(code)


def _hint_demo_source(result: object) -> None:
    """One line on stderr when items failed because the demo source (which `airnub demo` stops when it ends) is not
    listening: how to start it."""
    from airnub_prefect_starter.demo.server import DEMO_HOST, demo_port_from_env

    try:
        base = f"http://{DEMO_HOST}:{demo_port_from_env()}"
    except ConfigError:
        return
    outcomes = getattr(result, "outcomes", [])
    if any(
        getattr(o, "error_type", None) == "HostUnreachableError" and str(getattr(o, "url", "")).startswith(base + "/")
        for o in outcomes
    ):
        err.print(
            f"hint: the demo source at {base} is not running (`airnub demo` stops it when it ends): start it in "
            "another terminal with `python -m airnub_prefect_starter.demo` and run this again",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _fail_usage(error: AirnubError, as_json: bool) -> NoReturn:
    if as_json:
        print_json({"error": str(error), "items": [], "counts": {}})
    fail(str(error), EXIT_USAGE)


def _report(result: object, as_json: bool, settings: AirnubSettings) -> None:
    summary = getattr(result, "as_summary", None)
    if as_json and callable(summary):
        print_json(summary())
    elif isinstance(result, StageResult):
        print_stage(result, f"{result.department}: {result.stage}", settings.resolved_data_dir)
    elif as_json:
        print_json(result if isinstance(result, dict) else {"result": str(result)})
    else:
        out.print(result)
