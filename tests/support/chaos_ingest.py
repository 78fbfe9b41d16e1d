"""A child process that ingests URLs with the core download code until it is killed (or done).

``python -m tests.support.chaos_ingest STORE_BASE INDEX_URL ROOT SEED URL...``: prints ``ready`` once its
imports are done and the index is open, waits for a line on stdin (so a test can start it ahead of time), then
downloads the URLs in an order shuffled by SEED, ten at a time as a batch does (objects staged, then committed as
one group, then recorded in the index, so a kill lands inside a group commit or between an object's publication
and its index row as often as inside a download), and prints ``done``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import FetchRecord, ManifestIndex, UnchangedMark
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestContext, download_hash_store_and_manifest


def main(store_base: str, index_url: str, root: str, seed: str, *urls: str) -> None:
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    index = ManifestIndex(index_url, root=Path(root))
    order = list(urls)
    random.Random(seed).shuffle(order)
    fetched: list[FetchRecord] = []
    unchanged: list[UnchangedMark] = []
    store = ContentAddressedStore(Path(store_base))
    group = store.publish_group()
    with build_http_client(policy) as client:
        ctx = IngestContext(
            store,
            index,
            policy,
            client,
            "chaos",
            unchanged_marks=unchanged,
            pending_fetches=fetched,
            publish_group=group,
        )
        print("ready", flush=True)
        sys.stdin.readline()
        for start in range(0, len(order), 10):
            for url in order[start : start + 10]:
                download_hash_store_and_manifest(FileToAcquire(name=url.rsplit("/", 1)[-1], url=url), ctx)
            group.commit()
            index.record_fetches(fetched)
            index.touch_unchanged_many("chaos", unchanged)
            fetched.clear()
            unchanged.clear()
    index.close()
    print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
