"""``airnub blocks setup``: create or update the Secret blocks that the configs reference."""

from __future__ import annotations

from typing import Annotated, Any, cast

import typer

from airnub_prefect_starter.cli.output import EXIT_USAGE, err, out
from airnub_prefect_starter.cli.variables_cmd import load_all_config_files
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.secret_refs import (
    SECRET_PLACEHOLDER,
    referenced_secret_blocks,
    secret_env_var,
    secret_value_from_env,
)

__all__ = ["app"]

app = typer.Typer(help="Prefect blocks the flows need.", no_args_is_help=True)


@app.command("setup")
def setup(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be created; change nothing.")] = False,
) -> None:
    """For every Secret block an `auth:` section of the configs names (and AIRNUB_INDEX_URL_SECRET_BLOCK,
    AIRNUB_STORAGE_CREDENTIALS_BLOCK): take its value from AIRNUB_SECRET_<NAME> if set (create or update), else
    create a placeholder block if none exists (flows refuse to use it)."""
    from prefect.blocks.system import Secret

    try:
        files = load_all_config_files()
    except ConfigError as exc:
        err.print(f"[red]invalid[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    settings = load_settings()
    own = {name for name in (settings.index_url_secret_block, settings.storage_credentials_block) if name}
    names = sorted(referenced_secret_blocks(f.model for f in files) | own)
    if not names:
        out.print("no Secret blocks are referenced by the configs")
    for name in names:
        value = secret_value_from_env(name)
        try:
            existing: Secret[Any] | None = cast(Secret[Any], Secret.load(name))
        except ValueError:
            existing = None
        if value is not None:
            action = "updated" if existing is not None else "created"
            if not dry_run:
                Secret(value=value).save(name, overwrite=True)
            out.print(f"{action:>9}  {name} (from {secret_env_var(name)})", highlight=False)
        elif existing is None:
            if not dry_run:
                Secret(value=SECRET_PLACEHOLDER).save(name)
            out.print(
                f"{'placeholder':>9}  {name}: set {secret_env_var(name)} and rerun, or edit it in the UI",
                highlight=False,
            )
        else:
            out.print(f"{'kept':>9}  {name}", highlight=False)
