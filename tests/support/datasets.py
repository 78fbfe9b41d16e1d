"""Dataset fixtures (a pytest plugin of the root conftest): scikit-learn's bundled CSVs, a wine JSON response, written
datasets. Used by the data_science, processing and analysis tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest

from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, write_dataset
from tests.support.demo_recipes import parse_demo

SKLEARN_CSV = {"iris": "iris.csv", "wine": "wine_data.csv", "breast_cancer": "breast_cancer.csv"}


@pytest.fixture(scope="session")
def sklearn_csv() -> Iterator[Callable[[str], Path]]:
    """``sklearn_csv("iris")`` -> path of the CSV bundled in ``sklearn.datasets/data``."""
    with resources.as_file(resources.files("sklearn.datasets").joinpath("data")) as folder:
        yield lambda name: folder / SKLEARN_CSV[name]


@pytest.fixture
def wine_json(tmp_path: Path) -> Path:
    """A JSON API response holding scikit-learn's wine data as records keyed by its feature names."""
    from sklearn.datasets import load_wine

    bunch = load_wine()
    names = [str(n) for n in bunch.feature_names]
    records = [
        {**dict(zip(names, map(float, row), strict=True)), "target": int(label)}
        for row, label in zip(bunch.data, bunch.target, strict=True)
    ]
    document = {
        "dataset": "wine",
        "source": "scikit-learn wine recognition dataset",
        "feature_names": names,
        "target_names": [str(n) for n in bunch.target_names],
        "records": records,
    }
    path = tmp_path / "wine_api_response.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def iris_dataset(tmp_path: Path, sklearn_csv: Callable[[str], Path]) -> WrittenDataset:
    """iris parsed from the bundled CSV and written to ``tmp_path/processed``."""
    table = parse_demo(sklearn_csv("iris"), "iris")
    return write_dataset(table, tmp_path / "processed", "iris", list(table.input_sha256s))
