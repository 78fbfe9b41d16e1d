"""The settings and object-storage credentials a command or a notebook that opens stores works with, as the flows
resolve them: the index URL from ``AIRNUB_INDEX_URL`` (else the Secret block ``AIRNUB_INDEX_URL_SECRET_BLOCK``
names) and the credentials of the block ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` names (else the AWS variables apply).
Prefect is imported, and its API asked, only when a block is named: ``data_science`` stays free of Prefect, and a
notebook passes what :func:`resolved_environment` returns on to it."""

from __future__ import annotations

from typing import NamedTuple

from airnub_prefect_starter.cli.prefect_api import require_prefect_api
from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.store.object_store import S3Credentials

__all__ = ["ResolvedEnvironment", "resolved_environment"]


class ResolvedEnvironment(NamedTuple):
    """Settings whose ``resolved_index_url`` raises nothing, and the credentials stores on object storage open
    with (``None``: the AWS variables); unpacks as ``settings, credentials = resolved_environment()``."""

    settings: AirnubSettings
    credentials: S3Credentials | None


def resolved_environment(settings: AirnubSettings | None = None) -> ResolvedEnvironment:
    """``settings`` (default: the environment's) with the blocks they name read once through the Prefect API.
    A configured Prefect API that does not answer is a :class:`PrefectApiUnreachableError`; a missing, placeholder
    or malformed block a :class:`ConfigError` naming it."""
    settings = settings or load_settings()
    index_block = settings.index_url_secret_block if not settings.index_url else None
    if not index_block and not settings.storage_credentials_block:
        return ResolvedEnvironment(settings, None)
    from airnub_prefect_starter.tasks.secrets import resolve_environment  # imports Prefect: only when needed

    require_prefect_api()
    resolved = resolve_environment(settings.model_copy(update={"index_url_secret_block": index_block}))
    return ResolvedEnvironment(resolved.settings, resolved.credentials)
