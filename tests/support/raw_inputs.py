"""Raw inputs for processing and analysis tests: fixture bodies with known bad rows, stored through the real
ingestion core from a loopback server into the CAS and index of the current ``AIRNUB_DATA_DIR``."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import (
    IngestContext,
    IngestResult,
    download_hash_store_and_manifest,
)
from tests.support.http_server import LoopbackHTTPServer

__all__ = [
    "FLOWERS_CSV",
    "FLOWERS_CSV_QUARANTINE",
    "FLOWERS_JSON",
    "FLOWERS_JSON_QUARANTINE",
    "IRIS_FEATURES",
    "ingest_raw",
    "publish_raw",
    "sklearn_iris_csv",
]

IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]

#: scikit-learn's CSV layout for the iris schema: 6 good rows (2 per class) and 6 bad ones, one per reason.
FLOWERS_CSV = b"""12,4,setosa,versicolor,virginica
5.1,3.5,1.4,0.2,0
4.9,3.0,1.4,0.2,0
7.0,3.2,4.7,1.4,1
6.4,3.2,4.5,1.5,1
6.3,3.3,6.0,2.5,2
5.8,2.7,5.1,1.9,2
5.1,3.5,abc,0.2,0
5.1,3.5,1.4,0
5.1,3.5,1.4,0.2,7
5.1,,1.4,0.2,0
500,3.5,1.4,0.2,1
inf,3.5,1.4,0.2,1
"""
FLOWERS_CSV_QUARANTINE = {"allowed": 1, "field_count": 1, "max": 1, "missing": 1, "non_finite": 1, "type": 1}


def _record(values: list[float], target: int) -> dict[str, float | int]:
    return {**dict(zip(IRIS_FEATURES, values, strict=True)), "target": target}


#: A JSON API response for the iris schema: 4 good records and 3 bad ones.
FLOWERS_JSON = json.dumps(
    {
        "dataset": "iris",
        "feature_names": IRIS_FEATURES,
        "target_names": ["setosa", "versicolor", "virginica"],
        "records": [
            _record([5.0, 3.6, 1.4, 0.2], 0),
            _record([6.9, 3.1, 4.9, 1.5], 1),
            _record([6.5, 3.0, 5.8, 2.2], 2),
            _record([5.5, 2.3, 4.0, 1.3], 1),
            7,
            {"sepal length (cm)": 5.0, "target": 0},
            {**_record([5.0, 3.6, 1.4, 0.2], 0), "petal width (cm)": "wide"},
        ],
    }
).encode()
FLOWERS_JSON_QUARANTINE = {"missing": 1, "not_an_object": 1, "type": 1}


def sklearn_iris_csv() -> bytes:
    """The 150-row iris CSV exactly as scikit-learn ships it."""
    return (resources.files("sklearn.datasets") / "data" / "iris.csv").read_bytes()


def ingest_raw(server: LoopbackHTTPServer, path: str, body: bytes, *, data_source_name: str, name: str) -> IngestResult:
    """Serve ``body`` at ``path`` and ingest it with the real core into ``<data dir>/raw`` and the index."""
    settings = load_settings()
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    index = ManifestIndex(settings.resolved_index_url)
    try:
        with build_http_client(policy) as client:
            ctx = IngestContext(
                ContentAddressedStore(settings.resolved_data_dir / "raw"), index, policy, client, data_source_name
            )
            return download_hash_store_and_manifest(FileToAcquire(name=name, url=server.serve(path, body=body)), ctx)
    finally:
        index.close()


def publish_raw(
    store_base: Path,
    index_url: str,
    filename: str,
    body: bytes,
    *,
    data_source_name: str = "files",
    url: str | None = None,
) -> Path:
    """Put ``body`` in the CAS at ``store_base`` and record it in the index as served by ``url`` (default
    ``http://h/<filename>``) under the item name ``<filename without suffix>``, without HTTP; returns the file."""
    url = url or f"http://h/{filename}"
    store = ContentAddressedStore(store_base)
    sha256 = hashlib.sha256(body).hexdigest()
    with store.temp_file() as (temp, handle):
        handle.write(body)
        handle.flush()
        stored, _ = store.publish(
            temp,
            data_source_name=data_source_name,
            sha256=sha256,
            size_bytes=len(body),
            filename=filename,
            manifest_json=b"{}\n",
        )
    index = ManifestIndex(index_url)
    try:
        index.record_fetch(
            IndexedObject(
                data_source_name=data_source_name,
                sha256=sha256,
                storage_base=store.base,
                relative_path=stored.relative_path,
                filename=filename,
                size_bytes=len(body),
                content_type=None,
                kind="file",
                first_source_url=url,
                created_at=datetime.now(UTC),
            ),
            url=url,
            name=filename.split(".")[0],
            etag=None,
            last_modified=None,
        )
    finally:
        index.close()
    return Path(stored.location)
