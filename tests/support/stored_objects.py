"""Fill a store through the real download path: each body served by a loopback server, then ingested into a
store on disk or on object storage (an ``s3://`` base)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import (
    IngestContext,
    IngestResult,
    download_hash_store_and_manifest,
)
from tests.support.http_server import LoopbackHTTPServer

__all__ = ["LOOPBACK_POLICY", "ingest_bodies"]

LOOPBACK_POLICY = HttpPolicy(allow_private_networks=True, retries=0)


def ingest_bodies(
    server: LoopbackHTTPServer,
    store_base: Path | str,
    index: ManifestIndex,
    bodies: Mapping[str, bytes],
    source: str = "src",
) -> dict[str, IngestResult]:
    """Serve each body at ``/<name>`` (with an ETag, so a re-run asks conditionally) and ingest it."""
    results = {}
    with build_http_client(LOOPBACK_POLICY) as client:
        ctx = IngestContext(open_store(store_base), index, LOOPBACK_POLICY, client, source)
        for name, body in bodies.items():
            url = server.serve(f"/{name}", body=body, etag=f'"{name}-{len(body)}"')
            results[name] = download_hash_store_and_manifest(FileToAcquire(name=name, url=url), ctx)
    return results
