"""``airnub limits setup``: create or update the Prefect global concurrency limits of ``AIRNUB_HOST_LIMITS=prefect``."""

from __future__ import annotations

from typing import Annotated

import typer

from airnub_prefect_starter.cli.output import EXIT_USAGE, err, fail, out
from airnub_prefect_starter.cli.variables_cmd import load_all_config_files
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import ConfigError

__all__ = ["app"]

app = typer.Typer(
    help="Per-host limits shared by every worker (Prefect global concurrency limits).", no_args_is_help=True
)


@app.command("setup")
def setup(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be created; change nothing.")] = False,
) -> None:
    """For every host the stage configs fetch from: a limit `airnub-host-<host>` of its http.per_host_limit and,
    where http.per_host_rate is set, `airnub-rate-<host>` (one slot decaying at that rate). A host named by several
    categories gets the strictest value. Runs use them when AIRNUB_HOST_LIMITS=prefect. Exit 2 when a config is
    invalid (nothing set) or a Prefect API set with PREFECT_API_URL does not answer."""
    from prefect.client.orchestration import get_client

    from airnub_prefect_starter.tasks.host_limits_setup import apply_limit, planned_limits

    try:
        files = load_all_config_files()
    except ConfigError as exc:
        err.print(f"[red]invalid[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    from airnub_prefect_starter.cli.prefect_api import PrefectApiUnreachableError, require_prefect_api

    try:
        require_prefect_api()  # a configured API that is down: one line, not a traceback from the first limit
    except PrefectApiUnreachableError as exc:
        fail(str(exc), EXIT_USAGE)
    planned = planned_limits(file.model for file in files)
    if not planned:
        out.print("no stage config names a URL: no limits to set")
    with get_client(sync_client=True) as client:
        for limit in planned:
            action = apply_limit(client, limit, dry_run=dry_run)
            out.print(f"{action:>8}  {limit.name}: {limit.describe()}", highlight=False)
    if load_settings().host_limits != "prefect":
        out.print("AIRNUB_HOST_LIMITS is not 'prefect' here: runs with these settings keep their limits per process")
