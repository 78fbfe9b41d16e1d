"""``airnub blocks setup``: create or update the Secret blocks that the configs reference, and the storage
credentials block (a Secret, or a prefect-aws block made from the AWS variables)."""

from __future__ import annotations

import os
from enum import StrEnum
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


class StorageBlockType(StrEnum):
    """The kinds of block AIRNUB_STORAGE_CREDENTIALS_BLOCK may name (Prefect's block type slugs)."""

    secret = "secret"
    aws_credentials = "aws-credentials"
    minio_credentials = "minio-credentials"
    s3_bucket = "s3-bucket"


@app.command("setup")
def setup(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be created; change nothing.")] = False,
    storage_block_type: Annotated[
        StorageBlockType | None,
        typer.Option(
            "--storage-block-type",
            metavar="TYPE",
            help="Make AIRNUB_STORAGE_CREDENTIALS_BLOCK a block of this TYPE: secret, or (the aws extra) "
            "aws-credentials, minio-credentials or s3-bucket, made from the AWS_* variables (an s3-bucket also "
            "from AIRNUB_DATA_DIR's bucket and folder). Default: the type the setting names (type/name), else that "
            "of the existing block of that name, else secret.",
        ),
    ] = None,
) -> None:
    """For every Secret block an `auth:` section of the configs names (and AIRNUB_INDEX_URL_SECRET_BLOCK,
    AIRNUB_STORAGE_CREDENTIALS_BLOCK): take its value from AIRNUB_SECRET_<NAME> if set (create or update), else
    create a placeholder block if none exists (flows refuse to use it). A prefect-aws storage block
    (aws-credentials, minio-credentials, s3-bucket) is made from the AWS_* variables."""
    from prefect.blocks.system import Secret

    try:
        files = load_all_config_files()
        settings = load_settings()
        storage = _storage_block(settings.storage_credentials_block, storage_block_type)
    except ConfigError as exc:
        err.print(f"[red]invalid[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    if storage is not None and storage[0] != StorageBlockType.secret:
        _setup_prefect_aws_block(*storage, data_url=settings.data_url, dry_run=dry_run)
    storage_secret = storage[1] if storage is not None and storage[0] == StorageBlockType.secret else None
    own = {name for name in (settings.index_url_secret_block, storage_secret) if name}
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


def _storage_block(setting: str | None, chosen: StorageBlockType | None) -> tuple[StorageBlockType, str] | None:
    """The type and name of the storage credentials block to set up, or ``None`` when the setting names none. The
    type: ``chosen``, else the one the setting names (``type/name``), else that of the existing block of that name
    (several: a ConfigError saying what to write), else ``secret``."""
    from airnub_prefect_starter.tasks.storage_blocks import block_types_named, parse_block_setting

    if not setting:
        if chosen is not None:
            raise ConfigError("--storage-block-type: set AIRNUB_STORAGE_CREDENTIALS_BLOCK to the block's name first")
        return None
    slug, name = parse_block_setting(setting)
    if chosen is not None and slug is not None and chosen.value != slug:
        raise ConfigError(
            f"--storage-block-type {chosen.value}: AIRNUB_STORAGE_CREDENTIALS_BLOCK names a {slug} block ({setting})"
        )
    if chosen is None and slug is None:
        existing = block_types_named(name)
        if len(existing) > 1:
            raise ConfigError(
                f"AIRNUB_STORAGE_CREDENTIALS_BLOCK: blocks of several types are named '{name}' "
                f"({', '.join(existing)}): write AIRNUB_STORAGE_CREDENTIALS_BLOCK=<type>/{name} or pass "
                "--storage-block-type"
            )
        slug = existing[0] if existing else None
    return (chosen or StorageBlockType(slug or "secret")), name


def _setup_prefect_aws_block(kind: StorageBlockType, name: str, *, data_url: str | None, dry_run: bool) -> None:
    from airnub_prefect_starter.tasks.storage_blocks import save_storage_block_from_env

    shown = f"{kind.value}/{name}"
    if dry_run:
        out.print(f"{'would set':>9}  {shown} (from the AWS_* variables)", highlight=False)
        return
    try:
        action = save_storage_block_from_env(kind.value, name, os.environ, data_url)
    except ConfigError as exc:
        err.print(f"[red]invalid[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    source = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set" if action == "kept" else "from the AWS_* variables"
    out.print(f"{action:>9}  {shown} ({source})", highlight=False)
