"""Ingestion batches into a store on object storage (a real SeaweedFS on loopback): the same statuses, conditional
requests and index rows as on disk."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.index import open_index
from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore
from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import ApiToPoll, FileToAcquire, PageToScrape
from tests.support.http_server import LoopbackHTTPServer, sha256_hex

POLICY = HttpPolicy(allow_private_networks=True, retries=0)


def test_files_are_stored_once_then_unchanged_and_the_index_records_the_bucket_relative_to_the_data_dir(
    http_server: LoopbackHTTPServer, s3_base: str, tmp_path: Path
) -> None:
    bodies = {f"f{i}.csv": f"id,value\n{i},{i * i}\n".encode() for i in range(5)}
    bodies["copy.csv"] = bodies["f0.csv"]
    items = [
        FileToAcquire(name=name, url=http_server.serve(f"/{name}", body=body, etag=f'"{name}"'))
        for name, body in bodies.items()
    ]
    index_url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    runtime = BatchRuntime(
        category="files",
        data_source_name="src",
        store_base=f"{s3_base}/downloads",
        index_url=index_url,
        policy=POLICY,
        index_root=s3_base,
    )

    first = ingest_batch("download", items, runtime)
    second = ingest_batch("download", items, runtime)

    assert [o.status for o in first] == ["stored"] * 5 + ["duplicate"]
    assert all(o.path and o.path.startswith(f"{s3_base}/downloads/src/") for o in first)
    assert [o.status for o in second] == ["unchanged"] * 6, second
    asked = {path: headers[-1].get("If-None-Match") for path, headers in http_server.request_headers.items()}
    assert {f"/{name}": f'"{name}"' for name in bodies}.items() <= asked.items()
    store = S3ContentAddressedStore(f"{s3_base}/downloads")
    assert sorted(o.sha256 for o in store.iter_objects()) == sorted({sha256_hex(b) for b in bodies.values()})
    engine = sa.create_engine(index_url)
    with engine.connect() as conn:
        assert set(conn.execute(sa.text("SELECT storage_base FROM cas_objects")).scalars()) == {"downloads"}
    engine.dispose()
    indexed = open_index(index_url, s3_base).list_objects()
    assert {o.storage_base for o in indexed} == {f"{s3_base}/downloads"}


def test_api_responses_and_pages_are_read_back_from_the_bucket(
    http_server: LoopbackHTTPServer, s3_base: str, tmp_path: Path
) -> None:
    api = http_server.serve(
        "/api", body=json.dumps({"data": {"items": [1, 2, 3]}}).encode(), headers={"Content-Type": "application/json"}
    )
    page = http_server.serve(
        "/index.html", body=b'<a href="a.csv">a</a> <a href="b.csv">b</a>', headers={"Content-Type": "text/html"}
    )
    runtime = BatchRuntime(
        category="mixed",
        data_source_name="src",
        store_base=s3_base,
        index_url=f"sqlite:///{tmp_path / 'index.sqlite3'}",
        policy=POLICY,
    )

    [polled] = ingest_batch("poll_api", [ApiToPoll(name="items", url=api, extract_key="data.items")], runtime)
    [scraped] = ingest_batch("scrape_page", [PageToScrape(name="index", url=page)], runtime)
    [scraped_again] = ingest_batch("scrape_page", [PageToScrape(name="index", url=page)], runtime)

    assert polled.status == "stored" and polled.detail == "array, 3 entries", polled
    assert scraped.status == "stored"
    assert [link.url for link in scraped.links] == [http_server.url("/a.csv"), http_server.url("/b.csv")]
    assert scraped_again.status == "unchanged" and scraped_again.links == scraped.links
