"""verify, gc and repair are written once against the store interface: the same scenario, through the same code,
against a store in a local folder and one in a real bucket (SeaweedFS on loopback), reports the same problems at
the same locations (``<base>/...``) and leaves the same store behind."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.gc import collect_temp_debris
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.object_store import Bucket
from airnub_prefect_starter.core.store.verify import verify_store
from airnub_prefect_starter.ingestion.repair import repair_objects, repairable
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.stored_objects import LOOPBACK_POLICY, ingest_bodies

BODIES = {"flip.csv": b"a,b\n1,2\n" * 50, "gone.csv": b"c,d\n3,4\n" * 50, "fine.csv": b"e\n5\n" * 50}
HOUR = 3600.0


@dataclass(frozen=True)
class Backend:
    """A store's location and how a test damages it behind the store's back (by hand, as an operator could)."""

    base: str
    write: Callable[[str, bytes], None]
    delete: Callable[[str], None]


def _local(base: Path) -> Backend:
    def write(relative: str, data: bytes) -> None:
        (base / relative).parent.mkdir(parents=True, exist_ok=True)
        (base / relative).write_bytes(data)

    return Backend(str(base), write, lambda relative: (base / relative).unlink())


def _bucket(base: str) -> Backend:
    bucket = Bucket(base)

    def write(key: str, data: bytes) -> None:
        bucket.put_bytes(key, data)

    return Backend(base, write, bucket.delete)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """A store in ``<data>/cas`` or in ``<bucket prefix>/cas``, with this test's own ``$TMPDIR`` (the staging dir
    of uploads lies in it: ``manifest gc`` of other tests' staging files is not this test's business)."""
    own_tmp = tmp_path / "tmpdir"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    if request.param == "local":
        return _local((data / "cas").resolve())
    return _bucket(f"{request.getfixturevalue('s3_base')}/cas")


def test_verify_gc_and_repair_do_the_same_on_every_store(
    http_server: LoopbackHTTPServer, index: ManifestIndex, backend: Backend
) -> None:
    base = backend.base
    stored = ingest_bodies(http_server, base, index, BODIES)
    sha = {name: result.sha256 for name, result in stored.items()}
    flip, gone = (f"src/{sha[name]}/{name}" for name in ("flip.csv", "gone.csv"))
    backend.write(flip, b"A" + BODIES["flip.csv"][1:])  # same size: only the hash can tell
    backend.delete(gone)
    backend.write(f"src/{sha['fine.csv']}/extra.txt", b"left here by hand")
    backend.write(f"src/{'e' * 64}/x.bin", b"copied in by hand")
    backend.write(".tmp/part-killed", b"half a download")
    later = time.time() + 2 * HOUR

    report = verify_store(index, now=later)
    swept = collect_temp_debris([base], older_than_s=HOUR, now=later)
    repaired = repair_objects(index, repairable(report.problems), LOOPBACK_POLICY)
    after = verify_store(index, now=later)

    assert sorted((p.kind, p.sha256, p.path) for p in report.problems) == sorted(
        [
            ("corrupt", sha["flip.csv"], f"{base}/{flip}"),
            ("missing", sha["gone.csv"], f"{base}/{gone}"),
            ("stray", sha["fine.csv"], f"{base}/src/{sha['fine.csv']}/extra.txt"),
            ("orphaned", "e" * 64, f"{base}/src/{'e' * 64}"),
            ("debris", "", f"{base}/.tmp/part-killed"),
        ]
    )
    assert [(e.path, e.size_bytes) for e in swept.removed] == [(f"{base}/.tmp/part-killed", 15)]
    assert sorted((o.path, o.repaired, o.url) for o in repaired) == sorted(
        [(f"{base}/{flip}", True, http_server.url("/flip.csv")), (f"{base}/{gone}", True, http_server.url("/gone.csv"))]
    )
    [flipped] = [o for o in repaired if o.sha256 == sha["flip.csv"]]
    assert flipped.quarantined is not None and flipped.quarantined.startswith(
        f"{base}/.quarantine/src/{sha['flip.csv']}."
    )
    assert sorted(p.kind for p in after.problems) == ["orphaned", "stray"]
    store = open_store(base)
    for name, body in BODIES.items():
        with store.open_stored(f"{base}/src/{sha256_hex(body)}/{name}") as stream:
            assert stream.read() == body
    assert store.temp_files() == [] and store.temp_entries(later) == []
