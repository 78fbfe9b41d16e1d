"""Declared table schemas: per column a type, nullability and checks, plus renames, a primary key and a target.

A :class:`TableSchema` is the contract between raw inputs and the dataset written from them. It is written in
YAML (the processing config declares one per dataset), checked on every row (bad rows go to quarantine, see
:mod:`~airnub_prefect_starter.data_science.validation`) and travels inside the dataset manifest, so training and
reporting read column roles from the data, not from code.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, model_validator

from airnub_prefect_starter.core.config import ConfigModel
from airnub_prefect_starter.core.errors import ConfigError

__all__ = [
    "NUMERIC_TYPES",
    "ColumnChecks",
    "ColumnSpec",
    "ColumnType",
    "ExtraColumns",
    "TableSchema",
    "snake_case",
]

ColumnType = Literal["int", "float", "str", "bool", "date", "datetime", "category"]
ExtraColumns = Literal["ignore", "error"]
NUMERIC_TYPES: frozenset[str] = frozenset({"int", "float"})

_NON_WORD = re.compile(r"[^0-9a-z]+")
_COLUMN_NAME = r"^[a-z_][a-z0-9_]*$"
Scalar = bool | int | float | str


def snake_case(name: str) -> str:
    """``"sepal length (cm)"`` -> ``"sepal_length_cm"``; ``"od280/od315_of_diluted_wines"`` -> ``"od280_od315_..."``."""
    return _NON_WORD.sub("_", name.strip().lower()).strip("_")


class ColumnChecks(ConfigModel):
    """What a value must meet to enter the dataset; a row failing any check goes to quarantine."""

    min: float | None = Field(default=None, description="Inclusive lower bound (int and float columns).")
    max: float | None = Field(default=None, description="Inclusive upper bound (int and float columns).")
    allowed: tuple[Scalar, ...] | None = Field(
        default=None, min_length=1, description="The only values accepted (int, str, category, bool columns)."
    )
    regex: str | None = Field(
        default=None, description="Python regular expression the whole value must match (str, category columns)."
    )
    unique: bool = Field(default=False, description="No two rows share a value (later repeats are quarantined).")

    @model_validator(mode="after")
    def _bounds_ordered(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex: not a valid regular expression ({exc})") from exc
        return self


class ColumnSpec(ConfigModel):
    """One column of the dataset: its name, type, whether it may be empty, and its checks."""

    name: str = Field(pattern=_COLUMN_NAME, description="Column name in the dataset: lower-case, digits, '_'.")
    type: ColumnType = Field(description="int, float, str, bool, date, datetime or category.")
    nullable: bool = Field(default=False, description="Accept empty values (null); otherwise they are quarantined.")
    checks: ColumnChecks = Field(default_factory=ColumnChecks, description="Checks every value must pass.")

    @model_validator(mode="after")
    def _checks_fit_type(self) -> Self:
        checks = self.checks
        if (checks.min is not None or checks.max is not None) and self.type not in NUMERIC_TYPES:
            raise ValueError(f"{self.name}: min/max apply to int and float columns, not {self.type}")
        if checks.regex is not None and self.type not in ("str", "category"):
            raise ValueError(f"{self.name}: regex applies to str and category columns, not {self.type}")
        if checks.allowed is not None and self.type in ("float", "date", "datetime"):
            raise ValueError(f"{self.name}: allowed applies to int, str, category and bool columns, not {self.type}")
        return self


class TableSchema(ConfigModel):
    """The columns of a dataset, in order, with optional renames, primary key and target column."""

    columns: tuple[ColumnSpec, ...] = Field(min_length=1, description="The dataset's columns, in order.")
    renames: dict[str, str] = Field(
        default_factory=dict,
        description="Input column name -> dataset column name, for inputs whose names differ "
        "(e.g. 'sepal length (cm)': sepal_length_cm).",
    )
    primary_key: tuple[str, ...] = Field(
        default=(), description="Columns whose values identify a row: never empty, unique together."
    )
    target: str | None = Field(default=None, description="The column a model predicts (analysis needs one).")
    target_labels: tuple[str, ...] | None = Field(
        default=None,
        min_length=1,
        description="Names of an int target's values 0, 1, ... in order (reports and figures use them).",
    )
    extra_columns: ExtraColumns = Field(
        default="ignore",
        description="An input column the schema does not declare: 'ignore' it (logged) or fail with an 'error'.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate column names: {duplicates}")
        unknown = [n for n in (*self.primary_key, *([self.target] if self.target else [])) if n not in names]
        if unknown:
            raise ValueError(f"primary_key/target name undeclared columns: {unknown}")
        bad_renames = sorted(v for v in self.renames.values() if v not in names)
        if bad_renames:
            raise ValueError(f"renames: {bad_renames} are not declared columns")
        if len(set(self.renames.values())) != len(self.renames):
            raise ValueError("renames: two input columns renamed to the same column")
        if self.target_labels is not None and (self.target is None or self.column(self.target).type != "int"):
            raise ValueError("target_labels needs an int target column")
        return self

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def input_names(self) -> dict[str, str]:
        """Dataset column -> the name it has in the input (its rename source, or itself)."""
        sources = {column: source for source, column in self.renames.items()}
        return {name: sources.get(name, name) for name in self.column_names}

    def require_target(self) -> ColumnSpec:
        """The target column; :class:`ConfigError` when the schema declares none (a model needs one)."""
        if self.target is None:
            raise ConfigError("schema: no target column declared (set schema.target to the column to predict)")
        return self.column(self.target)

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Columns that name rows rather than measure them, in schema order: the primary key's and every column
        declared ``unique``. Their values say which row it is, not what it is like: they are no model feature and
        have no place among correlations."""
        return tuple(c.name for c in self.columns if c.name in self.primary_key or c.checks.unique)

    @property
    def features(self) -> tuple[ColumnSpec, ...]:
        """Model inputs: every int, float and bool column but the target and the :attr:`identifiers`."""
        excluded = {*self.identifiers, self.target}
        return tuple(c for c in self.columns if c.name not in excluded and c.type in (*NUMERIC_TYPES, "bool"))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.features)

    @property
    def target_names(self) -> tuple[str, ...]:
        """Names of the target's values 0, 1, ...: ``target_labels``, else the allowed ints as text."""
        if self.target_labels is not None:
            return self.target_labels
        allowed = self.require_target().checks.allowed or ()
        return tuple(str(v) for v in sorted(v for v in allowed if isinstance(v, int)))

    def label_name(self, label: int) -> str:
        names = self.target_names
        return names[label] if 0 <= label < len(names) else str(label)
