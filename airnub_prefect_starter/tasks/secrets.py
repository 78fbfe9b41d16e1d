"""Load Prefect Secret blocks for task wrappers (values never logged)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from prefect.blocks.system import Secret
from pydantic import BaseModel

from airnub_prefect_starter.core.secret_refs import referenced_secret_blocks

__all__ = ["load_item_secrets", "load_secret_blocks"]


def load_secret_blocks(names: Iterable[str]) -> dict[str, str]:
    """``{block name: value}`` for blocks that exist; a missing block is left out (the item then fails with a
    message naming it, the others go on)."""
    values: dict[str, str] = {}
    for name in sorted(set(names)):
        try:
            secret = cast(Secret[Any], Secret.load(name))
        except ValueError:  # Prefect raises ValueError for an unknown block document
            continue
        values[name] = str(secret.get())
    return values


def load_item_secrets(items: Iterable[BaseModel]) -> dict[str, str]:
    """The values of every Secret block the ``auth:`` sections of ``items`` name."""
    return load_secret_blocks(referenced_secret_blocks(items))
