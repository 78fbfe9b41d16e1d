"""Declared table schemas: column names, dtypes and per-column constraints, plus the three demo schemas.

A :class:`TableSchema` is the contract between a raw input and the dataset written from it. Parsers check every
row against it (bad rows go to quarantine) and refuse a file whose header contradicts it. The schema travels
inside the dataset manifest, so training and reporting read column roles from the data, not from code.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from airnub_prefect_starter.core.errors import ConfigError

__all__ = [
    "BREAST_CANCER_SCHEMA",
    "DEMO_SCHEMAS",
    "IRIS_SCHEMA",
    "WINE_FEATURE_NAMES",
    "WINE_SCHEMA",
    "ColumnRole",
    "ColumnSpec",
    "Dtype",
    "TableSchema",
    "classification_schema",
    "schema_for",
    "snake_case",
]

Dtype = Literal["float64", "int64", "string"]
ColumnRole = Literal["feature", "target", "target_name"]

_NON_WORD = re.compile(r"[^0-9a-z]+")


def snake_case(name: str) -> str:
    """``"sepal length (cm)"`` -> ``"sepal_length_cm"``; ``"od280/od315_of_diluted_wines"`` -> ``"od280_od315_..."``."""
    return _NON_WORD.sub("_", name.strip().lower()).strip("_")


class ColumnSpec(BaseModel):
    """One column: its dtype, role and the constraints a value must meet to leave quarantine."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    dtype: Dtype
    role: ColumnRole = "feature"
    nullable: bool = False
    min: float | None = Field(default=None, description="Inclusive lower bound for numeric columns.")
    max: float | None = Field(default=None, description="Inclusive upper bound for numeric columns.")
    allowed: tuple[int, ...] | None = Field(default=None, description="The only integer labels accepted.")


class TableSchema(BaseModel):
    """A named table: feature columns, one integer ``target`` and its derived ``target_name``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    columns: tuple[ColumnSpec, ...]
    target_names: tuple[str, ...] = Field(description="Label names, indexed by the integer target value.")

    @model_validator(mode="after")
    def _check_roles(self) -> TableSchema:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"schema {self.name}: duplicate column names")
        roles = [c.role for c in self.columns]
        if roles.count("target") != 1 or roles.count("target_name") > 1 or "feature" not in roles:
            raise ValueError(f"schema {self.name}: needs features, exactly one target and at most one target_name")
        return self

    @property
    def features(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.role == "feature")

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.features)

    @property
    def target(self) -> ColumnSpec:
        return next(c for c in self.columns if c.role == "target")

    @property
    def target_name_column(self) -> ColumnSpec | None:
        return next((c for c in self.columns if c.role == "target_name"), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def label_name(self, label: int) -> str:
        return self.target_names[label] if 0 <= label < len(self.target_names) else str(label)


def classification_schema(
    name: str,
    feature_names: list[str] | tuple[str, ...],
    target_names: list[str] | tuple[str, ...],
    *,
    min_value: float | None = 0.0,
    max_value: float | None = None,
) -> TableSchema:
    """A schema of float64 features (snake-cased names), an int64 ``target`` and a string ``target_name``."""
    features = [
        ColumnSpec(name=snake_case(raw), dtype="float64", min=min_value, max=max_value) for raw in feature_names
    ]
    target = ColumnSpec(name="target", dtype="int64", role="target", allowed=tuple(range(len(target_names))))
    label = ColumnSpec(name="target_name", dtype="string", role="target_name")
    return TableSchema(name=name, columns=(*features, target, label), target_names=tuple(target_names))


# Feature names as scikit-learn spells them; the columns are their snake_case forms.
_IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
WINE_FEATURE_NAMES: tuple[str, ...] = (
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
)
"""Public because the demo's wine API (``demo/catalog.py``) keys its records with them: the records it serves and
the schema that parses them cannot drift apart."""

_BREAST_CANCER_MEASURES = [
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
]
_BREAST_CANCER_FEATURES = [
    *(f"mean {m}" for m in _BREAST_CANCER_MEASURES),
    *(f"{m} error" for m in _BREAST_CANCER_MEASURES),
    *(f"worst {m}" for m in _BREAST_CANCER_MEASURES),
]

IRIS_SCHEMA = classification_schema(
    "iris", _IRIS_FEATURES, ["setosa", "versicolor", "virginica"], min_value=0.0, max_value=100.0
)
WINE_SCHEMA = classification_schema("wine", WINE_FEATURE_NAMES, ["class_0", "class_1", "class_2"])
BREAST_CANCER_SCHEMA = classification_schema("breast_cancer", _BREAST_CANCER_FEATURES, ["malignant", "benign"])

DEMO_SCHEMAS: dict[str, TableSchema] = {s.name: s for s in (IRIS_SCHEMA, WINE_SCHEMA, BREAST_CANCER_SCHEMA)}


def schema_for(name: str) -> TableSchema:
    """The demo schema called ``name``; :class:`ConfigError` listing the known names otherwise."""
    try:
        return DEMO_SCHEMAS[name]
    except KeyError:
        known = ", ".join(sorted(DEMO_SCHEMAS))
        raise ConfigError(f"schema '{name}': unknown (known: {known})") from None
