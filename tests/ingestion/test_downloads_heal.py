"""A re-run over a damaged object: the size check on the conditional path re-fetches and heals it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.verify import verify_store
from airnub_prefect_starter.ingestion.downloads import IngestStatus
from tests.support.http_server import LoopbackHTTPServer
from tests.support.stored_objects import ingest_bodies

BODY = b"station,temp_c\nA,12.5\n" * 200


@pytest.fixture
def index(index_url: str, tmp_path: Path) -> Iterator[ManifestIndex]:
    opened = ManifestIndex(index_url, root=tmp_path)
    yield opened
    opened.close()


def quarantined_files(store: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((store / ".quarantine").rglob("*")) if p.is_file()]


def test_rerun_over_an_intact_object_asks_conditionally_and_reports_unchanged(
    http_server: LoopbackHTTPServer, index: ManifestIndex, tmp_path: Path
) -> None:
    ingest_bodies(http_server, tmp_path / "cas", index, {"r.csv": BODY})

    [again] = ingest_bodies(http_server, tmp_path / "cas", index, {"r.csv": BODY}).values()

    assert again.status is IngestStatus.UNCHANGED
    assert http_server.request_headers["/r.csv"][1]["If-None-Match"] == f'"r.csv-{len(BODY)}"'


def test_rerun_over_a_truncated_object_refetches_without_validators_and_heals_it(
    http_server: LoopbackHTTPServer, index: ManifestIndex, tmp_path: Path
) -> None:
    [first] = ingest_bodies(http_server, tmp_path / "cas", index, {"r.csv": BODY}).values()
    first.path.write_bytes(BODY[:100])  # what a 304 used to report as unchanged
    old_manifest = first.manifest_path.read_bytes()

    [again] = ingest_bodies(http_server, tmp_path / "cas", index, {"r.csv": BODY}).values()

    assert "If-None-Match" not in http_server.request_headers["/r.csv"][1]
    assert again.status is IngestStatus.STORED and again.path == first.path
    assert first.path.read_bytes() == BODY
    assert quarantined_files(tmp_path / "cas") == [BODY[:100], old_manifest]
    assert verify_store(index).ok


def test_rerun_over_an_object_whose_file_is_gone_but_manifest_left_heals_it(
    http_server: LoopbackHTTPServer, index: ManifestIndex, tmp_path: Path
) -> None:
    [first] = ingest_bodies(http_server, tmp_path / "cas", index, {"r.csv": BODY}).values()
    first.path.unlink()
    old_manifest = first.manifest_path.read_bytes()

    [again] = ingest_bodies(http_server, tmp_path / "cas", index, {"r.csv": BODY}).values()

    assert "If-None-Match" not in http_server.request_headers["/r.csv"][1]
    assert again.status is IngestStatus.STORED and first.path.read_bytes() == BODY
    assert quarantined_files(tmp_path / "cas") == [old_manifest]
    assert verify_store(index).ok and index.count_rows()["cas_objects"] == 1
