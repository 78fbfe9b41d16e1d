"""The demo catalog: real scikit-learn bytes, a wine API built from them, pages, and determinism."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys

from airnub_prefect_starter.demo.catalog import (
    ABOUT_PAGE_PATH,
    DATASETS_API_PATH,
    DEMO_FILES,
    INDEX_PAGE_PATH,
    WINE_FEATURE_NAMES,
    WINE_RECORDS_API_PATH,
    load_demo_catalog,
)
from tests.demo.conftest import sklearn_bytes

SKLEARN_WINE_FEATURES = [
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
]


def test_catalog_files_are_sklearn_bytes_unchanged() -> None:
    catalog = load_demo_catalog()

    for spec in DEMO_FILES:
        assert catalog[spec.path].body == sklearn_bytes(spec.filename), spec.path


def test_catalog_etag_is_quoted_sha256_of_body() -> None:
    for resource in load_demo_catalog().values():
        assert resource.etag == f'"{hashlib.sha256(resource.body).hexdigest()}"'


def test_catalog_wine_feature_names_match_scikit_learn() -> None:
    from sklearn.datasets import load_wine  # type: ignore[import-untyped]

    assert list(WINE_FEATURE_NAMES) == SKLEARN_WINE_FEATURES == list(load_wine().feature_names)


def test_catalog_wine_records_match_every_csv_row() -> None:
    document = json.loads(load_demo_catalog()[WINE_RECORDS_API_PATH].body)
    rows = list(csv.reader(io.StringIO(sklearn_bytes("wine_data.csv").decode())))[1:]

    assert document["dataset"] == "wine"
    assert document["source"] == "UCI ML Wine recognition data, as bundled with scikit-learn"
    assert document["target_names"] == ["class_0", "class_1", "class_2"]
    assert len(document["records"]) == len(rows) == 178
    for record, row in zip(document["records"], rows, strict=True):
        assert [record[name] for name in SKLEARN_WINE_FEATURES] == [float(value) for value in row[:13]]
        assert record["target"] == int(row[13])
        assert set(record) == {*SKLEARN_WINE_FEATURES, "target"}


def test_catalog_datasets_listing_describes_every_file() -> None:
    catalog = load_demo_catalog()

    listing = json.loads(catalog[DATASETS_API_PATH].body)["datasets"]

    assert [(d["name"], d["url"], d["rows"]) for d in listing] == [
        ("iris", "/files/iris.csv", 150),
        ("wine", "/files/wine_data.csv", 178),
        ("breast_cancer", "/files/breast_cancer.csv", 569),
        ("linnerud_physiological", "/files/linnerud_physiological.csv", 20),
        ("linnerud_exercise", "/files/linnerud_exercise.csv", 20),
    ]
    for dataset in listing:
        body = catalog[dataset["url"]].body
        assert dataset["sha256"] == hashlib.sha256(body).hexdigest()
        assert dataset["size_bytes"] == len(body)


def test_catalog_pages_carry_title_and_provenance() -> None:
    index = load_demo_catalog()[INDEX_PAGE_PATH].body.decode()
    about = load_demo_catalog()[ABOUT_PAGE_PATH].body.decode()

    assert "<title>Project Alpha demo datasets</title>" in index
    for page in (index, about):
        assert "Fisher (1936)" in page and "public domain" in page and "BSD-3-Clause" in page


def test_catalog_is_identical_in_a_fresh_process_with_another_hash_seed() -> None:
    here = {path: resource.etag for path, resource in load_demo_catalog().items()}
    script = (
        "import json; from airnub_prefect_starter.demo.catalog import load_demo_catalog; "
        "print(json.dumps({p: r.etag for p, r in load_demo_catalog().items()}))"
    )

    completed = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert json.loads(completed.stdout) == here
