"""Checking raw values against a :class:`TableSchema`: a number, in range, a known label, or a named problem."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

from airnub_prefect_starter.data_science.schemas import ColumnSpec, TableSchema

__all__ = ["QuarantineCode", "RowProblem", "check_row"]

QuarantineCode = Literal[
    "field_count", "non_numeric", "missing", "non_finite", "out_of_range", "unknown_label", "not_an_object"
]


class RowProblem(NamedTuple):
    """Why a row cannot enter the dataset: a stable code and a message naming the column and value."""

    code: QuarantineCode
    text: str


def _to_number(name: str, value: object) -> float | RowProblem:
    if value is None or (isinstance(value, str) and not value.strip()):
        return RowProblem("missing", f"{name}: missing value")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return RowProblem("non_numeric", f"{name}: not a number: {value!r}")
    try:
        number = float(value)
    except ValueError:
        return RowProblem("non_numeric", f"{name}: not a number: {value!r}")
    if math.isnan(number):
        return RowProblem("missing", f"{name}: NaN")
    if math.isinf(number):
        return RowProblem("non_finite", f"{name}: not finite: {value!r}")
    return number


def _to_feature(spec: ColumnSpec, value: object) -> float | RowProblem:
    number = _to_number(spec.name, value)
    if isinstance(number, RowProblem):
        return number
    if spec.min is not None and number < spec.min:
        return RowProblem("out_of_range", f"{spec.name}: {number:g} below min {spec.min:g}")
    if spec.max is not None and number > spec.max:
        return RowProblem("out_of_range", f"{spec.name}: {number:g} above max {spec.max:g}")
    return number


def _to_label(spec: ColumnSpec, value: object) -> int | RowProblem:
    number = _to_number(spec.name, value)
    if isinstance(number, RowProblem):
        return number
    if not number.is_integer():
        return RowProblem("non_numeric", f"{spec.name}: not an integer label: {value!r}")
    label = int(number)
    if spec.allowed is not None and label not in spec.allowed:
        allowed = ", ".join(map(str, spec.allowed))
        return RowProblem("unknown_label", f"{spec.name}: unknown label {label} (allowed: {allowed})")
    return label


def check_row(schema: TableSchema, values: Sequence[object]) -> tuple[list[float], int] | list[RowProblem]:
    """Features and label of one row (``values`` in feature order, then the target) or its problems."""
    problems: list[RowProblem] = []
    features: list[float] = []
    for spec, value in zip(schema.features, values, strict=False):
        converted = _to_feature(spec, value)
        if isinstance(converted, RowProblem):
            problems.append(converted)
        else:
            features.append(converted)
    label = _to_label(schema.target, values[-1])
    if isinstance(label, RowProblem):
        return [*problems, label]
    return problems or (features, label)
