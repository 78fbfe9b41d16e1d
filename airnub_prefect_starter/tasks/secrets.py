"""Load Prefect Secret blocks for task wrappers and the run's environment (values never logged).

Within a resolved run (:mod:`airnub_prefect_starter.tasks.run_context`), :func:`flow_settings` and
:func:`storage_credentials` answer from the run's environment: the environment and the blocks are read once per
run, where it starts (:func:`resolve_environment`). Which blocks hold storage credentials, and how each is read:
:mod:`~airnub_prefect_starter.tasks.storage_blocks`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from prefect.blocks.system import Secret
from pydantic import BaseModel

from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.secret_refs import SECRET_PLACEHOLDER, referenced_secret_blocks
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.tasks.run_context import RunEnvironment, current_environment
from airnub_prefect_starter.tasks.storage_blocks import storage_credentials as _credentials_block

__all__ = [
    "flow_settings",
    "load_item_secrets",
    "load_secret_blocks",
    "resolve_environment",
    "storage_credentials",
]


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


def resolve_environment(settings: AirnubSettings | None = None) -> RunEnvironment:
    """The current run's environment when there is one; else ``settings`` (default: the environment's, read
    now) resolved: the index URL of :func:`flow_settings` and the credentials of :func:`storage_credentials`."""
    current = current_environment()
    if current is not None:
        return current
    resolved = _with_index_url(settings or load_settings())
    return RunEnvironment(resolved, _credentials_block(resolved))


def flow_settings() -> AirnubSettings:
    """The settings a flow run works with: the current run's (see :func:`resolve_environment`), else the
    environment's, with the index URL taken from the Secret block ``AIRNUB_INDEX_URL_SECRET_BLOCK`` names, when it
    names one (a missing block is a ConfigError)."""
    current = current_environment()
    return current.settings if current is not None else _with_index_url(load_settings())


def _with_index_url(settings: AirnubSettings) -> AirnubSettings:
    block = settings.index_url_secret_block
    if not block:
        return settings
    url = load_secret_blocks([block]).get(block)
    if url is None or url == SECRET_PLACEHOLDER:
        found = "was not found" if url is None else "still holds the placeholder"
        raise ConfigError(f"AIRNUB_INDEX_URL_SECRET_BLOCK: Secret block '{block}' {found} (see `airnub blocks setup`)")
    return settings.model_copy(update={"index_url": url})


def storage_credentials(settings: AirnubSettings) -> S3Credentials | None:
    """The object-storage credentials of the block ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` names (a Secret holding
    JSON, or a prefect-aws credentials or bucket block), or ``None`` when it names none (the AWS variables then
    apply); see :func:`~airnub_prefect_starter.tasks.storage_blocks.storage_credentials`. Within a resolved run,
    for its settings: the run's credentials, read once."""
    current = current_environment()
    if current is not None and settings is current.settings:
        return current.credentials
    return _credentials_block(settings)
