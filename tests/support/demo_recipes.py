"""The demo's declared datasets, read from the real processing config (the schemas live in YAML, not in code),
and helpers to parse a raw file with one of them."""

from __future__ import annotations

import copy
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from airnub_prefect_starter.core.config import load_yaml_file
from airnub_prefect_starter.data_science.dataset_processing import (
    DatasetRecipe,
    RawObject,
    parse_objects,
    recipe_from_config,
)
from airnub_prefect_starter.data_science.schemas import TableSchema, snake_case
from airnub_prefect_starter.data_science.tables import ParsedTable

__all__ = [
    "DEMO_PROCESSING_CONFIG",
    "IRIS_SCHEMA",
    "WINE_SCHEMA",
    "demo_dataset",
    "iris_records_dataset",
    "demo_recipe",
    "parse_demo",
    "raw_object",
]

IRIS_FEATURE_NAMES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")
DEMO_PROCESSING_CONFIG = (
    Path(__file__).resolve().parents[2]
    / "configs/variables/dept_project_alpha/processing_config_dept_project_alpha.yaml"
)


@cache
def demo_recipe(dataset: str) -> DatasetRecipe:
    """How the demo config reads and checks ``dataset`` (iris, wine, breast_cancer, wine_api)."""
    return recipe_from_config(DEMO_PROCESSING_CONFIG, dataset)


def demo_dataset(dataset: str, **overrides: Any) -> dict[str, Any]:
    """The demo config's declaration of ``dataset`` as plain data, with top-level keys replaced by ``overrides``."""
    document = load_yaml_file(DEMO_PROCESSING_CONFIG)
    for section in ("tabular_files", "api_records"):
        for spec in document[section]["datasets"]:
            if spec["name"] == dataset:
                return {**copy.deepcopy(spec), **overrides}
    raise KeyError(dataset)


def iris_records_dataset(**overrides: Any) -> dict[str, Any]:
    """The demo's iris declaration for a JSON response whose records use scikit-learn's feature names (renamed)."""
    iris = demo_dataset("iris")
    renames = {raw: snake_case(raw) for raw in IRIS_FEATURE_NAMES}
    return {
        **iris,
        "format": "json",
        "reader": {"records_key": "records"},
        "schema": {**iris["schema"], "renames": renames},
        **overrides,
    }


def raw_object(path: Path) -> RawObject:
    return RawObject(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.name)


def parse_demo(path: Path, dataset: str = "iris") -> ParsedTable:
    """``path`` parsed as the demo config declares ``dataset``."""
    return parse_objects([raw_object(path)], demo_recipe(dataset), dataset=dataset)


IRIS_SCHEMA: TableSchema = demo_recipe("iris").table_schema
WINE_SCHEMA: TableSchema = demo_recipe("wine").table_schema
