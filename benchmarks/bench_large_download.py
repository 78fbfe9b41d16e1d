"""Ingest one large file from a loopback server through the core, next to `curl -o` of the same URL.

Usage: ``python benchmarks/bench_large_download.py [--size-mib 1024] [--repeat 3]``

Each measurement runs in its own child process (peak RSS is that process's ru_maxrss). The core streams into
the store's temp area, hashes with hashlib as it goes, fsyncs and publishes; curl writes the same bytes to a
file. Between runs the store is emptied so every core run is a full download (no conditional GET).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _support import run_child, static_server

CORE_CHILD = """
import sys, time
from pathlib import Path
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestContext, download_hash_store_and_manifest
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.http.fetch import build_http_client
url, store, index = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
policy = HttpPolicy(allow_private_networks=True, retries=0, max_bytes=8 * 1024**3)
with build_http_client(policy) as client:
    ctx = IngestContext(ContentAddressedStore(store), ManifestIndex(index), policy, client, "bench")
    started = time.perf_counter()
    result = download_hash_store_and_manifest(FileToAcquire(name="big", url=url), ctx)
    print(result.status.value, result.sha256, result.size_bytes, time.perf_counter() - started)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airnub-bench-large-"))
    try:
        served = work / "served"
        served.mkdir()
        chunk = os.urandom(1024 * 1024)
        with (served / "big.bin").open("wb") as handle:
            for _ in range(args.size_mib):
                handle.write(chunk)
        size = args.size_mib * 1024 * 1024
        curl, core = [], []
        with static_server(served) as base:
            url = f"{base}/big.bin"
            for attempt in range(args.repeat):
                curl.append(run_child(["curl", "-sS", "-o", str(work / "curl.bin"), url]))
                (work / "curl.bin").unlink()
                store, index = work / f"store{attempt}", f"sqlite:///{work}/index{attempt}.sqlite3"
                run = run_child([sys.executable, "-c", CORE_CHILD, url, str(store), index])
                assert run.returncode == 0 and run.stdout.startswith("stored"), run
                core.append(run)
                shutil.rmtree(store)
        curl_s = statistics.median(r.seconds for r in curl)
        core_s = statistics.median(r.seconds for r in core)
        print(f"file: {args.size_mib} MiB, {args.repeat} runs each, medians")
        curl_rss = max(r.peak_rss_mb for r in curl)
        print(f"curl -o : {curl_s:6.2f} s  {size / curl_s / 1e6:7.1f} MB/s  peak RSS {curl_rss:6.1f} MB")
        inner_s = statistics.median(float(r.stdout.split()[-1]) for r in core)
        print(
            f"core    : {core_s:6.2f} s  {size / core_s / 1e6:7.1f} MB/s  "
            f"peak RSS {max(r.peak_rss_mb for r in core):6.1f} MB"
            "  (whole process: interpreter start, imports, download, fsync, publish, index)"
        )
        print(f"          {inner_s:6.2f} s  {size / inner_s / 1e6:7.1f} MB/s  (the core call alone)")
        print(f"throughput vs curl: {curl_s / core_s:.2f}x (process), {curl_s / inner_s:.2f}x (core call)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
