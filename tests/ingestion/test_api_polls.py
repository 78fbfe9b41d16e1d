"""poll_api_and_store against a real HTTP server."""

from __future__ import annotations

import json

import pytest

from airnub_prefect_starter.core.errors import ResponseContentError
from airnub_prefect_starter.ingestion import api_polls
from airnub_prefect_starter.ingestion.api_polls import poll_api_and_store
from airnub_prefect_starter.ingestion.config import ApiToPoll
from airnub_prefect_starter.ingestion.downloads import IngestStatus
from tests.conftest import IngestEnv
from tests.support.http_server import LoopbackHTTPServer, sha256_hex

PAYLOAD = json.dumps({"data": {"items": [{"id": 1}, {"id": 2}, {"id": 3}]}, "page": 1}).encode()


def test_api_poll_stores_raw_response_with_manifest(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/api/items", body=PAYLOAD, headers={"Content-Type": "application/json"})

    result = poll_api_and_store(ApiToPoll(name="items", url=url, extract_key="data.items"), ingest_env.ctx())

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
        poll_api_and_store(ApiToPoll(name="broken", url=url), ingest_env.ctx())

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []
    assert ingest_env.index.count_rows()["cas_objects"] == 0


def test_api_poll_refuses_missing_extract_key(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/api/items", body=PAYLOAD)

    with pytest.raises(
        ResponseContentError, match=r"extract_key 'data\.records': 'records' not found at data \(has: items\)"
    ):
        poll_api_and_store(ApiToPoll(name="items", url=url, extract_key="data.records"), ingest_env.ctx())

    assert ingest_env.objects() == []


def test_api_poll_dedupes_identical_responses(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    first = http_server.serve("/api/v1/items", body=PAYLOAD)
    second = http_server.serve("/api/v2/items", body=PAYLOAD)
    ctx = ingest_env.ctx()

    a = poll_api_and_store(ApiToPoll(name="v1", url=first), ctx)
    b = poll_api_and_store(ApiToPoll(name="v2", url=second), ctx)
    again = poll_api_and_store(ApiToPoll(name="v1", url=first), ctx)

    assert [r.ingest.status for r in (a, b, again)] == [
        IngestStatus.STORED,
        IngestStatus.DUPLICATE,
        IngestStatus.UNCHANGED,
    ]
    assert ingest_env.index.count_rows()["cas_objects"] == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "arrays or objects nested too deeply to read"),
        (b'{"n": ' + b"7" * 100_000 + b"}", "a number has too many digits (over 4300)"),
    ],
    ids=["nested_200000_deep", "integer_of_100000_digits"],
)
def test_api_poll_refuses_json_the_parser_cannot_build_and_stores_nothing(
    body: bytes, reason: str, http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve("/api/hostile", body=body, headers={"Content-Type": "application/json"})

    with pytest.raises(ResponseContentError) as caught:
        poll_api_and_store(ApiToPoll(name="hostile", url=url), ingest_env.ctx())

    assert str(caught.value) == (
        f"{url}: response is not JSON this parser accepts (Content-Type application/json): {reason}"
    )
    assert ingest_env.objects() == [] and ingest_env.temp_files() == []


def test_api_poll_refuses_a_response_over_max_json_bytes_before_parsing_it(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = http_server.serve("/api/items", body=PAYLOAD)
    parsed: list[str] = []
    monkeypatch.setattr(api_polls.json, "loads", lambda text: parsed.append(text))

    with pytest.raises(ResponseContentError) as caught:
        poll_api_and_store(ApiToPoll(name="items", url=url, max_json_bytes=len(PAYLOAD) - 1), ingest_env.ctx())

    assert str(caught.value) == (
        f"{url}: response is {len(PAYLOAD)} bytes, over max_json_bytes {len(PAYLOAD) - 1}: too large to parse as JSON"
    )
    assert parsed == [] and ingest_env.objects() == []


def test_api_poll_parses_a_response_once_when_it_is_stored_and_never_again_while_it_is_unchanged(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = http_server.serve("/api/items", body=PAYLOAD, etag='"v1"')
    parsed: list[str] = []
    real_loads = json.loads
    monkeypatch.setattr(api_polls.json, "loads", lambda text: parsed.append(text) or real_loads(text))
    item = ApiToPoll(name="items", url=url, extract_key="data.items")
    ctx = ingest_env.ctx()

    first = poll_api_and_store(item, ctx)
    not_modified = poll_api_and_store(item, ctx)
    http_server.serve("/api/items", body=PAYLOAD, etag='"v2"')  # a new ETag, the same bytes
    same_bytes = poll_api_and_store(item, ctx)

    assert [r.ingest.status for r in (first, not_modified, same_bytes)] == [IngestStatus.STORED] + [
        IngestStatus.UNCHANGED
    ] * 2
    assert http_server.request_headers["/api/items"][1]["If-None-Match"] == '"v1"'
    assert {(r.extracted_type, r.extracted_count) for r in (first, not_modified, same_bytes)} == {("array", 3)}
    assert len(parsed) == 1


def test_api_poll_parses_the_stored_copy_when_extract_key_changed_since_it_was_stored(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = http_server.serve("/api/items", body=PAYLOAD, etag='"v1"')
    ctx = ingest_env.ctx()
    poll_api_and_store(ApiToPoll(name="items", url=url, extract_key="data.items"), ctx)
    parsed: list[str] = []
    real_loads = json.loads
    monkeypatch.setattr(api_polls.json, "loads", lambda text: parsed.append(text) or real_loads(text))

    page = poll_api_and_store(ApiToPoll(name="items", url=url, extract_key="page"), ctx)
    with pytest.raises(ResponseContentError, match="extract_key 'data.missing': 'missing' not found at data"):
        poll_api_and_store(ApiToPoll(name="items", url=url, extract_key="data.missing"), ctx)

    assert (page.ingest.status, page.extracted_type, page.extracted_count) == (IngestStatus.UNCHANGED, "number", None)
    assert len(parsed) == 2
