"""The ingestion core against the demo source: stored once, unchanged on the second run, broken API refused."""

from __future__ import annotations

import pytest

from airnub_prefect_starter.core.errors import ResponseContentError
from airnub_prefect_starter.demo.server import DemoSource
from airnub_prefect_starter.ingestion.api_polls import poll_api_and_store
from airnub_prefect_starter.ingestion.config import ApiToPoll, FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestStatus, download_hash_store_and_manifest
from tests.conftest import IngestEnv
from tests.demo.conftest import sklearn_bytes


def test_demo_source_second_file_ingestion_is_unchanged(demo_source: DemoSource, ingest_env: IngestEnv) -> None:
    item = FileToAcquire(name="iris", url=demo_source.url("/files/iris.csv"))
    ctx = ingest_env.ctx()

    first = download_hash_store_and_manifest(item, ctx)
    second = download_hash_store_and_manifest(item, ctx)

    assert first.status is IngestStatus.STORED
    assert first.path.read_bytes() == sklearn_bytes("iris.csv")
    assert second.status is IngestStatus.UNCHANGED
    assert demo_source.hits["/files/iris.csv"] == 2


def test_demo_source_wine_api_poll_extracts_178_records(demo_source: DemoSource, ingest_env: IngestEnv) -> None:
    item = ApiToPoll(name="wine", url=demo_source.url("/api/v1/wine/records"), extract_key="records")

    result = poll_api_and_store(item, ingest_env.ctx())

    assert result.ingest.status is IngestStatus.STORED
    assert (result.extracted_type, result.extracted_count) == ("array", 178)


def test_demo_source_broken_api_poll_fails_and_stores_nothing(demo_source: DemoSource, ingest_env: IngestEnv) -> None:
    item = ApiToPoll(name="broken", url=demo_source.url("/api/v1/broken"))

    with pytest.raises(ResponseContentError, match=r"response is not JSON \(Content-Type text/html"):
        poll_api_and_store(item, ingest_env.ctx())

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []
