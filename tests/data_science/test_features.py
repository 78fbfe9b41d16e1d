"""Feature/target extraction and the deterministic stratified split."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.dataset_processing import RawObject, parse_objects
from airnub_prefect_starter.data_science.dataset_store import (
    VerifiedDataset,
    WrittenDataset,
    read_dataset,
    read_verified_dataset,
    write_dataset,
)
from airnub_prefect_starter.data_science.features import (
    classification_view,
    model_task,
    model_view,
    regression_view,
    split_features_target,
    train_test_split_frame,
)
from airnub_prefect_starter.data_science.schema_inference import infer_schema
from tests.support.demo_recipes import IRIS_SCHEMA


def test_split_features_target_selects_schema_columns(iris_dataset: WrittenDataset) -> None:
    features, target = split_features_target(read_dataset(iris_dataset.parquet_path), IRIS_SCHEMA)

    assert list(features.columns) == list(IRIS_SCHEMA.feature_names)
    assert features.shape == (150, 4) and str(target.dtype) == "int64" and target.name == "target"


def test_split_features_target_names_missing_columns() -> None:
    with pytest.raises(ConfigError, match=r"dataset: missing columns \['petal_width_cm', 'target'\]"):
        split_features_target(pd.DataFrame({n: [1.0] for n in IRIS_SCHEMA.feature_names[:3]}), IRIS_SCHEMA)


def test_train_test_split_frame_is_deterministic_and_stratified(iris_dataset: WrittenDataset) -> None:
    frame = read_dataset(iris_dataset.parquet_path)

    first = train_test_split_frame(frame, 0.2, seed=7)
    second = train_test_split_frame(frame, 0.2, seed=7)
    other = train_test_split_frame(frame, 0.2, seed=8)

    assert first.train.equals(second.train) and first.test.equals(second.test)
    assert not first.test.equals(other.test)
    assert (len(first.train), len(first.test)) == (120, 30)
    assert first.test["target"].value_counts().to_dict() == {0: 10, 1: 10, 2: 10}
    assert len(pd.concat([first.train, first.test]).drop_duplicates()) == len(frame.drop_duplicates())


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1])
def test_train_test_split_frame_rejects_bad_test_size(iris_dataset: WrittenDataset, test_size: float) -> None:
    with pytest.raises(ConfigError, match="test_size: .* must be between 0 and 1"):
        train_test_split_frame(read_dataset(iris_dataset.parquet_path), test_size, seed=1)


def test_train_test_split_frame_rejects_unstratifiable_frame() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "target": [0, 0, 0, 1]})

    with pytest.raises(ConfigError, match="cannot be stratified"):
        train_test_split_frame(frame, 0.5, seed=1)


def _dataset_from_csv(tmp_path: Path, body: bytes, name: str = "shop") -> VerifiedDataset:
    """A real dataset: the CSV's inferred declaration, parsed and written as processing does, read back verified."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    raw = tmp_path / f"{name}.csv"
    raw.write_bytes(body)
    recipe = infer_schema(body, "csv", where=raw.name).recipe()
    sha256 = generate_sha256_hash(body)
    table = parse_objects([RawObject(raw, sha256, raw.name)], recipe, dataset=name)
    written = write_dataset(table, tmp_path / "processed", name, [sha256], recipe_sha256=recipe.recipe_sha256())
    return read_verified_dataset(written.parquet_path)


SHOP = b"price,qty,paid,channel\n" + b"".join(
    f"{p},{q},{'yes' if q % 2 else 'no'},{('web', 'shop', 'phone')[q % 3]}\n".encode()
    for p, q in zip(range(10, 40), range(30), strict=True)
)


def test_classification_view_encodes_a_category_target_as_sorted_classes(tmp_path: Path) -> None:
    dataset = _dataset_from_csv(tmp_path, SHOP)

    view = classification_view(dataset, "channel")

    schema = view.manifest.table_schema
    assert (schema.target, schema.column("channel").type, schema.target_names) == (
        "channel",
        "int",
        ("phone", "shop", "web"),
    )
    assert schema.feature_names == ("price", "qty", "paid")
    assert view.frame["channel"].tolist()[:4] == [2, 1, 0, 2]  # web, shop, phone, web
    assert view.manifest.sha256 == dataset.manifest.sha256  # the same dataset, seen as classes
    features, target = split_features_target(view.frame, schema)
    assert features.shape == (30, 3) and str(target.dtype) == "int64"


def test_classification_view_names_bool_classes_and_keeps_a_declared_int_target(tmp_path: Path) -> None:
    dataset = _dataset_from_csv(tmp_path, SHOP)

    paid = classification_view(dataset, "paid").manifest.table_schema

    assert paid.target_names == ("false", "true") and "paid" not in paid.feature_names


def test_classification_view_takes_a_declared_int_target_as_it_is(iris_dataset: WrittenDataset) -> None:
    dataset = read_verified_dataset(iris_dataset.parquet_path)

    view = classification_view(dataset)

    assert view.manifest is dataset.manifest and view.frame.equals(dataset.frame)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (None, r"dataset 'shop': no target column \(declare schema.target"),
        ("price_eur", r"dataset 'shop': target 'price_eur' is not a column \(price, qty, paid, channel\)"),
        ("qty", None),
    ],
)
def test_classification_view_errors_name_dataset_and_column(
    tmp_path: Path, target: str | None, message: str | None
) -> None:
    dataset = _dataset_from_csv(tmp_path, SHOP)

    if message is None:  # an int target without declared classes: classes named by its values
        assert len(classification_view(dataset, target).manifest.table_schema.target_names) == 30
        return
    with pytest.raises(ConfigError, match=message):
        classification_view(dataset, target)


def test_classification_view_refuses_a_float_target_and_a_single_class(tmp_path: Path) -> None:
    floats = _dataset_from_csv(tmp_path / "a", b"x,y\n1,0.5\n2,1.5\n3,2.5\n", "floats")
    single = _dataset_from_csv(tmp_path / "b", b"x,kind\n1,a\n2,a\n3,a\n", "single")

    with pytest.raises(
        ConfigError, match=r"dataset 'floats': target 'y' is float; .* \(a float target is a regression\)"
    ):
        classification_view(floats, "y")
    with pytest.raises(ConfigError, match=r"dataset 'single': target 'kind' has 1 class\(es\); a classifier needs two"):
        classification_view(single, "kind")


#: 40 orders: amount = 3 * items + 0.5 * distance (a float target), a channel and a date with a gap.
ORDERS = b"items,distance,amount,channel,ordered_on\n" + b"".join(
    f"{i % 7 + 1},{(i * 13) % 17}.5,{3 * (i % 7 + 1) + 0.5 * ((i * 13) % 17 + 0.5):.2f},"
    f"{('web', 'shop')[i % 2]},{'' if i == 5 else f'2024-01-{i % 28 + 1:02d}'}\n".encode()
    for i in range(40)
)


def test_model_task_follows_the_target_type(tmp_path: Path) -> None:
    schema = _dataset_from_csv(tmp_path, ORDERS, "orders").manifest.table_schema

    assert schema.column("amount").type == "float" and schema.target is None
    assert model_task(schema) is None
    assert model_task(schema, "amount") == "regression"
    assert (model_task(schema, "channel"), model_task(schema, "items")) == ("classification", "classification")
    with pytest.raises(ConfigError, match=r"dataset 'orders': target 'ordered_on' is date; a model predicts"):
        model_task(schema, "ordered_on", dataset="orders")
    with pytest.raises(ConfigError, match=r"dataset 'orders': target 'price' is not a column \(items, distance"):
        model_task(schema, "price", dataset="orders")


def test_regression_view_keeps_float_values_and_splits_without_strata(tmp_path: Path) -> None:
    dataset = _dataset_from_csv(tmp_path, ORDERS, "orders")

    task, view = model_view(dataset, "amount")

    schema = view.manifest.table_schema
    assert task == "regression" and (schema.target, schema.target_labels) == ("amount", None)
    assert schema.feature_names == ("items", "distance")
    features, target = split_features_target(view.frame, schema)
    assert str(target.dtype) == "float64" and (len(target), target.min()) == (40, 3.25)
    split = train_test_split_frame(view.frame, 0.25, seed=1, stratify_by=None)
    assert (len(split.train), len(split.test)) == (30, 10)
    assert model_view(dataset) == (None, dataset)  # no target: the dataset as it is


def test_regression_view_errors_name_dataset_and_column(tmp_path: Path) -> None:
    constant = _dataset_from_csv(tmp_path / "a", b"x,y\n1,2.5\n2,2.5\n3,2.5\n", "constant")
    lonely = _dataset_from_csv(tmp_path / "b", b"name,y\na,1.5\nb,2.5\n", "lonely")
    orders = _dataset_from_csv(tmp_path / "c", ORDERS, "orders")

    with pytest.raises(ConfigError, match=r"dataset 'constant': target 'y' has 1 distinct value\(s\); a regression"):
        regression_view(constant, "y")
    with pytest.raises(ConfigError, match=r"dataset 'lonely': no int, float or bool column besides the target 'y'"):
        regression_view(lonely, "y")
    with pytest.raises(ConfigError, match=r"dataset 'orders': target 'channel' is category; a regression"):
        regression_view(orders, "channel")
