"""Secret blocks referenced by configs: which ones, and where `airnub blocks setup` takes their values."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from airnub_prefect_starter.common.sealed import Sealed
from airnub_prefect_starter.core.http.auth import SECRET_PLACEHOLDER, SourceAuth

__all__ = ["SECRET_PLACEHOLDER", "referenced_secret_blocks", "secret_env_var", "secret_value_from_env"]


def secret_env_var(block_name: str) -> str:
    """``project-alpha-token`` -> ``AIRNUB_SECRET_PROJECT_ALPHA_TOKEN``."""
    return "AIRNUB_SECRET_" + block_name.upper().replace("-", "_")


def secret_value_from_env(block_name: str, environ: Mapping[str, str] | None = None) -> str | None:
    return (os.environ if environ is None else environ).get(secret_env_var(block_name))


def referenced_secret_blocks(models: Iterable[BaseModel]) -> set[str]:
    """Every Secret block named by an ``auth:`` section anywhere inside ``models``."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, SourceAuth):
            found.update(value.secret_blocks())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list | tuple | Sealed):  # a section's items are sealed
            for element in value:
                walk(element)

    for model in models:
        walk(model)
    return found
