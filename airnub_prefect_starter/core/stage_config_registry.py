"""Which pydantic model validates which stage's config."""

from __future__ import annotations

from pydantic import BaseModel

from airnub_prefect_starter.core.config_models import IngestionStageConfig

__all__ = ["STAGE_CONFIG_MODELS"]

STAGE_CONFIG_MODELS: dict[str, type[BaseModel]] = {
    "ingestion": IngestionStageConfig,
}
