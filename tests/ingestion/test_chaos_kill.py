"""Chaos: ingestion processes SIGKILLed at random points leave no corrupt object; a re-run adopts and heals
everything, ``gc`` empties the temp area and the index matches the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.gc import collect_temp_debris
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.verify import verify_store
from airnub_prefect_starter.ingestion.downloads import IngestStatus
from tests.conftest import POSTGRES_ENV
from tests.support.http_server import LoopbackHTTPServer, Route, sha256_hex
from tests.support.project_copy import REPO_ROOT
from tests.support.stored_objects import ingest_bodies

FILES = 40
MIN_KILLS = 20
#: Children started at the most: a bound on the loop, not on time (a busy machine only makes it take longer).
MAX_ROUNDS = 200


def bodies(rng: random.Random) -> dict[str, bytes]:
    """40 files of 1 KiB to 256 KiB; every fourth is sent slowly, so kills land inside bodies too."""
    return {f"f{i:02d}.bin": rng.randbytes(rng.randint(1024, 256 * 1024)) for i in range(FILES)}


def serve(server: LoopbackHTTPServer, files: dict[str, bytes]) -> list[str]:
    urls = []
    for i, (name, body) in enumerate(files.items()):
        route = Route(body=body, etag=f'"{name}-{len(body)}"', drip_delay_s=0.02 if i % 4 == 0 else 0.0)
        route.drip_bytes = 32 * 1024
        urls.append(server.serve(f"/{name}", route))
    return urls


def kill_runs(store: Path, index_url: str, root: Path, urls: list[str], rng: random.Random) -> tuple[int, int]:
    """Run ingestion children one after another and SIGKILL each at a random point of its run, until
    ``MIN_KILLS`` kills (or ``MAX_ROUNDS`` children). The next child is started (imports, index open)
    while the current one runs, and waits for a line on stdin to begin. Returns (kills, runs that finished)."""

    def start() -> subprocess.Popen[str]:
        args = [str(store), index_url, str(root), str(rng.random()), *urls]
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.chaos_ingest", *args],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    kills = finished = 0
    spare = start()
    try:
        while kills < MIN_KILLS and kills + finished < MAX_ROUNDS:
            current = spare
            assert current.stdout is not None and current.stdin is not None
            assert current.stdout.readline() == "ready\n", "the child died before it was ready"
            spare = start()
            current.stdin.write("go\n")
            current.stdin.flush()
            time.sleep(rng.uniform(0.0, 0.5))
            if current.poll() is None:
                os.kill(current.pid, signal.SIGKILL)
                kills += 1
            else:
                finished += 1
            current.wait(timeout=30)
            current.stdin.close()
            current.stdout.close()
    finally:
        spare.kill()
        spare.communicate(timeout=30)
    return kills, finished


@pytest.fixture
def chaos_index_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """PostgreSQL (the shared production index) when the suite has one, else SQLite: one chaos run per suite."""
    if os.environ.get(POSTGRES_ENV):
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'index.sqlite3'}"


@pytest.mark.slow
@pytest.mark.exclusive  # it races processes: 20 kills at random points
def test_ingestion_killed_at_random_points_leaves_a_store_a_rerun_and_gc_make_whole(
    http_server: LoopbackHTTPServer, chaos_index_url: str, tmp_path: Path
) -> None:
    index_url = chaos_index_url
    started = time.monotonic()
    rng = random.Random(20260101)
    files = bodies(rng)
    urls = serve(http_server, files)
    store, root = tmp_path / "cas", tmp_path
    ManifestIndex(index_url, root=root).close()  # the schema exists before the first kill, as when deployed

    kills, finished = kill_runs(store, index_url, root, urls, rng)

    index = ManifestIndex(index_url, root=root)
    try:
        after_kills = verify_store(index)
        assert kills >= MIN_KILLS
        assert {p.kind for p in after_kills.problems} <= {"orphaned", "debris"}, after_kills.problems
        assert after_kills.of_kind("corrupt") == []
        objects = ContentAddressedStore(store)
        # One run left to finish makes sure an indexed object exists (the kills may all land before the first
        # index write); truncated, it must be healed by the re-run as well.
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.support.chaos_ingest", str(store), index_url, str(root), "0", urls[0]],
            cwd=REPO_ROOT,
            input="go\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr[-2000:]
        damaged = next(o for o in objects.iter_objects() if o.sha256 == sha256_hex(files["f00.bin"]))
        Path(damaged.location).write_bytes(Path(damaged.location).read_bytes()[:10])

        rerun = ingest_bodies(http_server, store, index, files, source="chaos")

        statuses = {r.status for r in rerun.values()}
        assert statuses <= {IngestStatus.STORED, IngestStatus.UNCHANGED, IngestStatus.DUPLICATE}
        assert all(r.path.read_bytes() == files[name] for name, r in rerun.items())
        debris = collect_temp_debris([store], older_than_s=0)
        assert objects.temp_files() == []
        final = verify_store(index)
        assert final.problems == [] and final.checked == FILES
        on_disk = {folder.sha256 for folder in objects.object_folders()}
        assert on_disk == {o.sha256 for o in index.list_objects()} == {sha256_hex(b) for b in files.values()}
        assert index.count_rows() == {"cas_objects": FILES, "object_sources": FILES, "url_states": FILES}
    finally:
        index.close()
    elapsed = time.monotonic() - started
    print(  # the numbers behind the chaos run, shown with -s / -rA
        f"\nchaos: {kills} kills ({finished} runs finished first), {FILES} objects, "
        f"{len(after_kills.of_kind('orphaned'))} orphans adopted, {len(debris.removed)} temp entries removed "
        f"({debris.freed_bytes} bytes), statuses {sorted(s.value for s in statuses)}, {elapsed:.1f} s"
    )
