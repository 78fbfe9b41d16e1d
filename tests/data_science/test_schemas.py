"""Declared schemas: the demo's (YAML) match scikit-learn's feature names; roles come from the declaration."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.schemas import TableSchema, snake_case
from tests.support.demo_recipes import demo_recipe


@pytest.mark.parametrize(
    ("name", "loader"), [("iris", load_iris), ("wine", load_wine), ("breast_cancer", load_breast_cancer)]
)
def test_demo_schema_columns_are_sklearn_feature_names_in_snake_case(name: str, loader: object) -> None:
    bunch = loader()  # type: ignore[operator]
    schema = demo_recipe(name).table_schema

    assert schema.feature_names == tuple(snake_case(str(n)) for n in bunch.feature_names)
    assert schema.target_names == tuple(str(n) for n in bunch.target_names)
    assert schema.column_names[-1] == "target" and schema.require_target().type == "int"
    assert schema.require_target().checks.allowed == tuple(range(len(bunch.target_names)))


def test_snake_case_drops_spaces_parentheses_and_slashes() -> None:
    assert snake_case("sepal length (cm)") == "sepal_length_cm"
    assert snake_case("od280/od315_of_diluted_wines") == "od280_od315_of_diluted_wines"
    assert snake_case("mean concave points") == "mean_concave_points"


def test_features_are_the_numeric_columns_but_the_target() -> None:
    schema = TableSchema.model_validate(
        {
            "columns": [
                {"name": "a", "type": "float"},
                {"name": "b", "type": "str"},
                {"name": "c", "type": "bool"},
                {"name": "y", "type": "int", "checks": {"allowed": [0, 1]}},
            ],
            "target": "y",
        }
    )

    assert schema.feature_names == ("a", "c") and schema.target_names == ("0", "1")


def test_a_schema_without_target_cannot_train() -> None:
    schema = TableSchema.model_validate({"columns": [{"name": "a", "type": "float"}]})

    with pytest.raises(ConfigError, match="no target column declared"):
        schema.require_target()


def test_demo_schemas_round_trip_through_json() -> None:
    for name in ("iris", "wine", "breast_cancer", "wine_api"):
        schema = demo_recipe(name).table_schema
        assert TableSchema.model_validate_json(schema.model_dump_json()) == schema


def test_primary_key_and_unique_columns_identify_rows_and_are_no_features() -> None:
    schema = TableSchema.model_validate(
        {
            "columns": [
                {"name": "order_id", "type": "int"},
                {"name": "serial", "type": "float", "checks": {"unique": True}},
                {"name": "items", "type": "int"},
                {"name": "gift", "type": "bool"},
                {"name": "channel", "type": "category"},
            ],
            "primary_key": ["order_id"],
            "target": "channel",
        }
    )

    assert schema.identifiers == ("order_id", "serial")
    assert schema.feature_names == ("items", "gift")
