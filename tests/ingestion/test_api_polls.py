"""core_poll_api_and_store against a real HTTP server."""

from __future__ import annotations

import json

import pytest

from airnub_prefect_starter.core.errors import ResponseContentError
from airnub_prefect_starter.ingestion.api_polls import core_poll_api_and_store
from airnub_prefect_starter.ingestion.config import ApiToPoll
from airnub_prefect_starter.ingestion.downloads import IngestStatus
from tests.conftest import IngestEnv
from tests.support.http_server import LoopbackHTTPServer, sha256_hex

PAYLOAD = json.dumps({"data": {"items": [{"id": 1}, {"id": 2}, {"id": 3}]}, "page": 1}).encode()


def test_api_poll_stores_raw_response_with_manifest(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/api/items", body=PAYLOAD, headers={"Content-Type": "application/json"})

    result = core_poll_api_and_store(ApiToPoll(name="items", url=url, extract_key="data.items"), ingest_env.ctx())

    assert result.ingest.status is IngestStatus.STORED
    assert result.ingest.path.read_bytes() == PAYLOAD and result.ingest.sha256 == sha256_hex(PAYLOAD)
    assert (result.extracted_type, result.extracted_count) == ("array", 3)
    manifest = json.loads(result.ingest.manifest_path.read_text())
    assert manifest["kind"] == "api_response"
    assert manifest["details"] == {"extract_key": "data.items", "extracted_type": "array", "extracted_count": 3}
    assert http_server.request_headers["/api/items"][0]["Accept"] == "application/json"


def test_api_poll_refuses_non_json_body_and_stores_nothing(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve("/api/broken", body=b"<html>oops</html>", headers={"Content-Type": "text/html"})

    with pytest.raises(ResponseContentError, match=r"/api/broken: response is not JSON \(Content-Type text/html\)"):
        core_poll_api_and_store(ApiToPoll(name="broken", url=url), ingest_env.ctx())

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []
    assert ingest_env.index.count_rows()["cas_objects"] == 0


def test_api_poll_refuses_missing_extract_key(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/api/items", body=PAYLOAD)

    with pytest.raises(
        ResponseContentError, match=r"extract_key 'data\.records': 'records' not found at data \(has: items\)"
    ):
        core_poll_api_and_store(ApiToPoll(name="items", url=url, extract_key="data.records"), ingest_env.ctx())

    assert ingest_env.objects() == []


def test_api_poll_dedupes_identical_responses(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    first = http_server.serve("/api/v1/items", body=PAYLOAD)
    second = http_server.serve("/api/v2/items", body=PAYLOAD)
    ctx = ingest_env.ctx()

    a = core_poll_api_and_store(ApiToPoll(name="v1", url=first), ctx)
    b = core_poll_api_and_store(ApiToPoll(name="v2", url=second), ctx)
    again = core_poll_api_and_store(ApiToPoll(name="v1", url=first), ctx)

    assert [r.ingest.status for r in (a, b, again)] == [
        IngestStatus.STORED,
        IngestStatus.DUPLICATE,
        IngestStatus.UNCHANGED,
    ]
    assert ingest_env.index.count_rows()["cas_objects"] == 1
