"""Declared schemas: scikit-learn's feature names in snake_case, one target, consistent labels."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sklearn.datasets import load_breast_cancer, load_iris, load_wine

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.schemas import (
    DEMO_SCHEMAS,
    ColumnSpec,
    TableSchema,
    schema_for,
    snake_case,
)


@pytest.mark.parametrize(
    ("name", "loader"), [("iris", load_iris), ("wine", load_wine), ("breast_cancer", load_breast_cancer)]
)
def test_demo_schema_columns_are_sklearn_feature_names_in_snake_case(name: str, loader: object) -> None:
    bunch = loader()  # type: ignore[operator]
    schema = schema_for(name)

    assert schema.feature_names == tuple(snake_case(str(n)) for n in bunch.feature_names)
    assert schema.target_names == tuple(str(n) for n in bunch.target_names)
    assert schema.column_names[-2:] == ("target", "target_name")
    assert schema.target.allowed == tuple(range(len(bunch.target_names)))


def test_snake_case_drops_spaces_parentheses_and_slashes() -> None:
    assert snake_case("sepal length (cm)") == "sepal_length_cm"
    assert snake_case("od280/od315_of_diluted_wines") == "od280_od315_of_diluted_wines"
    assert snake_case("mean concave points") == "mean_concave_points"


def test_schema_for_unknown_name_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"schema 'digits': unknown \(known: breast_cancer, iris, wine\)"):
        schema_for("digits")


def test_table_schema_requires_exactly_one_target() -> None:
    feature = ColumnSpec(name="x", dtype="float64")

    with pytest.raises(ValidationError, match="exactly one target"):
        TableSchema(name="bad", columns=(feature,), target_names=("a",))


def test_demo_schemas_round_trip_through_json() -> None:
    for schema in DEMO_SCHEMAS.values():
        assert TableSchema.model_validate_json(schema.model_dump_json()) == schema
