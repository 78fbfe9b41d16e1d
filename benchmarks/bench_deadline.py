"""How far past ``total_deadline_s`` does a hostile server hold one item? Target: deadline + 10 % + 0.5 s.

Usage: ``python benchmarks/bench_deadline.py [--deadline 5] [--retries 2]``

A loopback server (the test suite's scriptable one) plays each case against
``download_hash_store_and_manifest`` with the default read timeout (30 s), so only the deadline can end it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the test suite's loopback server

from airnub_prefect_starter.core.errors import AirnubError
from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestContext, download_hash_store_and_manifest
from tests.support.http_server import LoopbackHTTPServer, Route

BODY = b"x" * 1000
CASES = {
    "never answers": [Route(body=BODY, response_delay_s=600)],
    "1 byte every 20 s": [Route(body=BODY, drip_delay_s=20, drip_bytes=1)],
    "1 byte every 0.9 s": [Route(body=BODY, drip_delay_s=0.9, drip_bytes=1)],
    "503 twice, then never answers": [
        Route(status=503, body=b"busy", headers={"Retry-After": "1"}),
        Route(status=503, body=b"busy", headers={"Retry-After": "1"}),
        Route(body=BODY, response_delay_s=600),
    ],
    "503 with Retry-After: 30": [Route(status=503, body=b"busy", headers={"Retry-After": "30"})],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=5.0, help="total_deadline_s (default 5)")
    parser.add_argument("--retries", type=int, default=2, help="http.retries (default 2)")
    args = parser.parse_args()
    policy = HttpPolicy(allow_private_networks=True, total_deadline_s=args.deadline, retries=args.retries)
    limit = args.deadline * 1.1 + 0.5
    print(f"total_deadline_s={args.deadline:g}, retries={args.retries}, read_timeout_s={policy.read_timeout_s:g}")
    print(f"| case | ended after | overshoot | within {limit:.2f} s | error |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, LoopbackHTTPServer() as server, build_http_client(policy) as client:
        ctx = IngestContext(
            ContentAddressedStore(Path(tmp) / "store"),
            ManifestIndex(f"sqlite:///{tmp}/index.db"),
            policy,
            client,
            "bench",
        )
        for number, (case, routes) in enumerate(CASES.items()):
            url = server.serve(f"/case{number}.bin", *routes)
            started = time.monotonic()
            try:
                download_hash_store_and_manifest(FileToAcquire(name=f"case{number}", url=url), ctx)
                error = "none: the download succeeded"
            except AirnubError as exc:
                error = f"{type(exc).__name__}: {exc.reason if hasattr(exc, 'reason') else exc}"
            elapsed = time.monotonic() - started
            verdict = "yes" if elapsed <= limit else "NO"
            print(f"| {case} | {elapsed:.2f} s | {elapsed - args.deadline:+.2f} s | {verdict} | {error} |")


if __name__ == "__main__":
    main()
