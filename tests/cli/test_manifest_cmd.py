"""``airnub manifest list/show/verify``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import (
    IngestContext,
    IngestResult,
    core_download_hash_store_and_manifest,
)
from tests.support.http_server import LoopbackHTTPServer


def ingest(server: LoopbackHTTPServer, data_dir: Path, *bodies: bytes) -> list[IngestResult]:
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    index = ManifestIndex(load_settings().resolved_index_url)
    with build_http_client(policy) as client:
        ctx = IngestContext(ContentAddressedStore(data_dir / "cas"), index, policy, client, "src")
        results = [
            core_download_hash_store_and_manifest(
                FileToAcquire(name=f"f{i}", url=server.serve(f"/{i}.bin", body=body)), ctx
            )
            for i, body in enumerate(bodies)
        ]
    index.close()
    return results


def test_manifest_list_and_show(airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path) -> None:
    stored = ingest(http_server, data_dir, b"first", b"second")

    listed = airnub("manifest", "list", "--json")
    shown = airnub("manifest", "show", stored[1].sha256[:10])

    assert [o["sha256"] for o in json.loads(listed.stdout)] == [r.sha256 for r in stored]
    detail = json.loads(shown.stdout)
    assert detail["manifest"]["sha256"] == stored[1].sha256
    assert detail["sources"][0]["url"] == http_server.url("/1.bin")


def test_manifest_verify_passes_on_a_clean_store(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    ingest(http_server, data_dir, b"clean")

    result = airnub("manifest", "verify")

    assert result.exit_code == 0
    assert "checked 1 objects: 0 corrupt, 0 missing, 0 orphaned" in result.stdout


def test_manifest_verify_reports_flipped_byte_missing_file_and_orphan(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    flipped, missing, _ = ingest(http_server, data_dir, b"flip me", b"delete me", b"keep me")
    data = bytearray(flipped.path.read_bytes())
    data[0] ^= 0x01
    flipped.path.write_bytes(bytes(data))
    missing.path.unlink()
    orphan_dir = data_dir / "cas" / "src" / ("f" * 64)
    orphan_dir.mkdir()
    shutil.copy(flipped.manifest_path, orphan_dir / "x.manifest.json")
    (orphan_dir / "x").write_bytes(b"stray")

    result = airnub("manifest", "verify", "--json")

    assert result.exit_code == 1
    problems = {(p["kind"], p["sha256"]) for p in json.loads(result.stdout)["problems"]}
    assert problems == {("corrupt", flipped.sha256), ("missing", missing.sha256), ("orphaned", "f" * 64)}
