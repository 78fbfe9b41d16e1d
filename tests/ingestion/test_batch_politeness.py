"""ingest_batch is polite: robots.txt once per host per run, disallowed items fail alone, requests paced, the
User-Agent names the project."""

from __future__ import annotations

import pickle
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from airnub_prefect_starter import __version__
from airnub_prefect_starter.core.http.policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch, split_batches
from airnub_prefect_starter.ingestion.config import FileToAcquire
from tests.support.http_server import LoopbackHTTPServer

ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n"


def runtime(tmp_path: Path, index_url: str, **policy: object) -> BatchRuntime:
    resolved = HttpPolicy.model_validate({"allow_private_networks": True, "retries": 0, **policy})
    return BatchRuntime(
        category="files", data_source_name="src", store_base=str(tmp_path / "cas"), index_url=index_url, policy=resolved
    )


def files(server: LoopbackHTTPServer, *paths: str) -> list[FileToAcquire]:
    return [FileToAcquire(name=p.strip("/").replace("/", "_"), url=server.serve(p, body=p.encode())) for p in paths]


def test_disallowed_items_fail_with_the_reason_and_the_others_are_stored(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    http_server.serve("/robots.txt", body=ROBOTS)
    items = files(http_server, "/a.csv", "/private/b.csv", "/c.csv")

    outcomes = ingest_batch("download", items, runtime(tmp_path, sqlite_url))

    assert [(o.name, o.status) for o in outcomes] == [
        ("a.csv", "stored"),
        ("private_b.csv", "failed"),
        ("c.csv", "stored"),
    ]
    refused = outcomes[1]
    assert refused.error_type == "RobotsDisallowedError" and refused.transient is False
    assert refused.error == f"{items[1].url}: disallowed by robots.txt"
    assert http_server.hits["/private/b.csv"] == 0


def test_robots_is_fetched_once_per_run_across_batches_in_threads(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    http_server.serve("/robots.txt", body=ROBOTS)
    items = files(http_server, *(f"/f{i}.csv" for i in range(12)))
    run = runtime(tmp_path, sqlite_url)
    shipped = [pickle.loads(pickle.dumps(run)) for _ in range(4)]  # each batch task gets its own copy

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda b, r: ingest_batch("download", b, r), split_batches(items, 3), shipped))

    assert {o.status for batch in results for o in batch} == {"stored"}
    assert http_server.hits["/robots.txt"] == 1
    ingest_batch("download", items[:1], runtime(tmp_path, sqlite_url))  # a new run asks again
    assert http_server.hits["/robots.txt"] == 2


def test_user_agent_names_the_project_and_its_version(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    http_server.serve("/robots.txt", body=ROBOTS)

    ingest_batch("download", files(http_server, "/a.csv"), runtime(tmp_path, sqlite_url))

    sent = {
        headers["User-Agent"] for path in ("/robots.txt", "/a.csv") for headers in http_server.request_headers[path]
    }
    assert sent == {f"airnub-prefect-starter/{__version__}"}


def test_a_configured_user_agent_is_matched_by_its_product_token(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    http_server.serve("/robots.txt", body=ROBOTS)

    outcomes = ingest_batch(
        "download", files(http_server, "/a.csv"), runtime(tmp_path, sqlite_url, user_agent="OtherBot/2.0 (+mailto:x)")
    )

    assert outcomes[0].error_type == "RobotsDisallowedError"
    assert http_server.request_headers["/robots.txt"][0]["User-Agent"] == "OtherBot/2.0 (+mailto:x)"


def test_a_redirect_hop_is_checked_against_robots(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    http_server.serve("/robots.txt", body=ROBOTS)
    http_server.serve("/private/target.csv", body=b"secret")
    item = FileToAcquire(name="moved", url=http_server.redirect("/moved.csv", http_server.url("/private/target.csv")))

    outcome = ingest_batch("download", [item], runtime(tmp_path, sqlite_url))[0]

    assert outcome.error == f"{http_server.url('/private/target.csv')}: disallowed by robots.txt"
    assert http_server.hits["/moved.csv"] == 1 and http_server.hits["/private/target.csv"] == 0


def test_a_redirect_to_another_host_is_checked_against_that_hosts_robots(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    with LoopbackHTTPServer() as other:  # another port: another origin, its own robots.txt
        other.serve("/robots.txt", body=b"User-agent: *\nDisallow: /\n")
        other.serve("/file.csv", body=b"elsewhere")
        item = FileToAcquire(name="moved", url=http_server.redirect("/moved.csv", other.url("/file.csv")))

        outcome = ingest_batch("download", [item], runtime(tmp_path, sqlite_url))[0]

        assert outcome.error == f"{other.url('/file.csv')}: disallowed by robots.txt"
        assert (http_server.hits["/robots.txt"], other.hits["/robots.txt"], other.hits["/file.csv"]) == (1, 1, 0)


def test_opting_out_per_category_fetches_no_robots(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    http_server.serve("/robots.txt", body=b"User-agent: *\nDisallow: /\n")
    stage = HttpOverrides(allow_private_networks=True, retries=0)
    policy = HttpPolicy().merged(stage, HttpOverrides(respect_robots_txt=False))
    run = BatchRuntime(
        category="files", data_source_name="src", store_base=str(tmp_path / "cas"), index_url=sqlite_url, policy=policy
    )

    outcomes = ingest_batch("download", files(http_server, "/a.csv"), run)

    assert outcomes[0].status == "stored" and http_server.hits["/robots.txt"] == 0


def test_per_host_rate_paces_every_request_robots_included(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    http_server.serve("/robots.txt", body=ROBOTS)
    items = files(http_server, *(f"/f{i}.csv" for i in range(5)))
    started = time.monotonic()

    outcomes = ingest_batch("download", items, runtime(tmp_path, sqlite_url, per_host_rate=10))

    elapsed = time.monotonic() - started
    assert {o.status for o in outcomes} == {"stored"}
    assert 0.5 <= elapsed < 5.0  # 6 requests: 5 intervals of 0.1 s at least


def test_crawl_delay_paces_the_host(http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str) -> None:
    http_server.serve("/robots.txt", body=b"User-agent: airnub-prefect-starter\nCrawl-delay: 0.25\n")
    items = files(http_server, *(f"/f{i}.csv" for i in range(3)))
    started = time.monotonic()

    outcomes = ingest_batch("download", items, runtime(tmp_path, sqlite_url))

    elapsed = time.monotonic() - started
    assert {o.status for o in outcomes} == {"stored"}
    assert 0.75 <= elapsed < 5.0  # robots.txt, then three files 0.25 s apart


def test_a_crawl_delay_past_the_total_deadline_does_not_block_the_host(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    http_server.serve("/robots.txt", body=b"User-agent: *\nCrawl-delay: 10\n")
    items = files(http_server, "/a.csv", "/b.csv")

    # the cap is 20 / (2 * 10) = 1 s: each item waits about that, then has 19 s for robots.txt and its request
    outcomes = ingest_batch("download", items, runtime(tmp_path, sqlite_url, total_deadline_s=20, per_host_limit=10))

    assert [(o.name, o.status, o.error) for o in outcomes] == [("a.csv", "stored", None), ("b.csv", "stored", None)]
    assert http_server.hits["/a.csv"] == http_server.hits["/b.csv"] == 1
