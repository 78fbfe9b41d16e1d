"""Several processes ingesting the same URL at once leave one object, one index row and no temp files."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestContext, download_hash_store_and_manifest
from tests.support.http_server import LoopbackHTTPServer, sha256_hex

BODY = bytes(range(256)) * 800  # 200 KiB, sent slowly so that the downloads overlap


def _ingest_in_child(
    store_base: str, index_url: str, url: str, barrier: Barrier, results: multiprocessing.Queue
) -> None:
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    index = ManifestIndex(index_url)
    with build_http_client(policy) as client:
        ctx = IngestContext(
            store=ContentAddressedStore(Path(store_base)),
            index=index,
            policy=policy,
            client=client,
            data_source_name="shared",
        )
        barrier.wait(timeout=30)
        result = download_hash_store_and_manifest(FileToAcquire(name="shared", url=url), ctx)
    index.close()
    results.put(result.status.value)


def test_concurrent_processes_ingesting_same_url_leave_one_object(
    http_server: LoopbackHTTPServer, index_url: str, tmp_path: Path
) -> None:
    url = http_server.serve("/shared.bin", body=BODY, drip_delay_s=0.01, drip_bytes=16 * 1024)
    ManifestIndex(index_url).close()  # schema exists before the race, like a deployed index
    spawn = multiprocessing.get_context("spawn")
    writers = 3
    barrier = spawn.Barrier(writers)
    results = spawn.Queue()
    processes = [
        spawn.Process(target=_ingest_in_child, args=(str(tmp_path / "cas"), index_url, url, barrier, results))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)

    assert [p.exitcode for p in processes] == [0] * writers
    statuses = sorted(results.get(timeout=5) for _ in range(writers))
    assert statuses == ["duplicate", "duplicate", "stored"]
    store = ContentAddressedStore(tmp_path / "cas")
    objects = [(o.sha256, Path(o.location).read_bytes() == BODY) for o in store.iter_objects()]
    assert objects == [(sha256_hex(BODY), True)]
    assert store.temp_files() == []
    index = ManifestIndex(index_url)
    try:
        assert index.count_rows() == {"cas_objects": 1, "object_sources": 1, "url_states": 1}
    finally:
        index.close()


def test_concurrent_index_creation_from_fresh_database(index_url: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_open_index, args=(index_url,)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)

    assert [p.exitcode for p in processes] == [0] * 4


def _open_index(index_url: str) -> None:
    ManifestIndex(index_url).close()
