"""Secret blocks referenced by configs: which ones, and where `airnub blocks setup` takes their values."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

__all__ = ["SECRET_PLACEHOLDER", "referenced_secret_blocks", "secret_env_var", "secret_value_from_env"]

#: Value of a Secret block created before its real value was known; an API call refuses to send it.
SECRET_PLACEHOLDER = "REPLACE_ME"


def secret_env_var(block_name: str) -> str:
    """``project-alpha-token`` -> ``AIRNUB_SECRET_PROJECT_ALPHA_TOKEN``."""
    return "AIRNUB_SECRET_" + block_name.upper().replace("-", "_")


def secret_value_from_env(block_name: str, environ: Mapping[str, str] | None = None) -> str | None:
    return (os.environ if environ is None else environ).get(secret_env_var(block_name))


def referenced_secret_blocks(models: Iterable[BaseModel]) -> set[str]:
    """Every ``auth_secret_block`` value found anywhere inside ``models``."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, BaseModel):
            block = getattr(value, "auth_secret_block", None)
            if isinstance(block, str):
                found.add(block)
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list | tuple):
            for element in value:
                walk(element)

    for model in models:
        walk(model)
    return found
