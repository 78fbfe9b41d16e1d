"""Load Prefect Secret blocks for task wrappers (values never logged); storage credentials come from
:mod:`~airnub_prefect_starter.tasks.storage_blocks`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from prefect.blocks.system import Secret
from pydantic import BaseModel

from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.secret_refs import SECRET_PLACEHOLDER, referenced_secret_blocks
from airnub_prefect_starter.tasks.storage_blocks import storage_credentials

__all__ = ["flow_settings", "load_item_secrets", "load_secret_blocks", "storage_credentials"]


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


def flow_settings() -> AirnubSettings:
    """The settings a flow run works with: the environment's, with the index URL taken from the Secret block
    ``AIRNUB_INDEX_URL_SECRET_BLOCK`` names, when it names one (a missing block is a ConfigError)."""
    settings = load_settings()
    block = settings.index_url_secret_block
    if not block:
        return settings
    url = load_secret_blocks([block]).get(block)
    if url is None or url == SECRET_PLACEHOLDER:
        found = "was not found" if url is None else "still holds the placeholder"
        raise ConfigError(f"AIRNUB_INDEX_URL_SECRET_BLOCK: Secret block '{block}' {found} (see `airnub blocks setup`)")
    return settings.model_copy(update={"index_url": url})
