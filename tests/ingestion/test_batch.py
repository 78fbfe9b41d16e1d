"""ingest_batch: one outcome per item, failures recorded, unchanged items cost one conditional request."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from airnub_prefect_starter.core.errors import ManifestIndexError
from airnub_prefect_starter.core.http.auth import SourceAuth
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.index import FetchRecord, IndexedObject, ManifestIndex, UnchangedMark
from airnub_prefect_starter.ingestion import kinds
from airnub_prefect_starter.ingestion.batch import (
    BatchRuntime,
    _record_batch,
    batch_size_for,
    ingest_batch,
    split_batches,
)
from airnub_prefect_starter.ingestion.config import FileToAcquire, PageToScrape
from airnub_prefect_starter.ingestion.contract import INGESTION
from tests.support.http_server import LoopbackHTTPServer, Route


def runtime(tmp_path: Path, index_url: str) -> BatchRuntime:
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    return BatchRuntime(
        category="files", data_source_name="src", store_base=str(tmp_path / "cas"), index_url=index_url, policy=policy
    )


def test_ingest_batch_records_failures_and_goes_on(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    items = [
        FileToAcquire(name="a", url=http_server.serve("/a.csv", body=b"a")),
        FileToAcquire(name="gone", url=http_server.url("/gone.csv")),
        FileToAcquire(name="b", url=http_server.serve("/b.csv", body=b"b")),
    ]
    seen: list[str] = []

    outcomes = ingest_batch("download", items, runtime(tmp_path, sqlite_url), on_item=lambda o: seen.append(o.name))

    assert [(o.name, o.status) for o in outcomes] == [("a", "stored"), ("gone", "failed"), ("b", "stored")]
    assert outcomes[1].error_type == "PermanentDownloadError" and outcomes[1].transient is False
    assert seen == ["a", "gone", "b"]


def test_ingest_batch_unchanged_costs_one_conditional_request_each(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    items = [
        FileToAcquire(name=f"f{i}", url=http_server.serve(f"/f{i}.csv", body=b"%d" % i, etag=f'"{i}"'))
        for i in range(20)
    ]
    rt = runtime(tmp_path, sqlite_url)
    ingest_batch("download", items, rt)
    before = ManifestIndex(sqlite_url).url_states("src", [i.url for i in items])
    http_server.reset()
    for i in range(len(items)):  # the server now sends a new ETag with its 304s
        http_server.serve(f"/f{i}.csv", Route(status=304, etag=f'"{i}-v2"'))

    outcomes = ingest_batch("download", items, rt)

    assert {o.status for o in outcomes} == {"unchanged"}
    assert sum(http_server.hits.values()) == 20
    assert all(h[0]["If-None-Match"] == f'"{i}"' for i, h in enumerate(http_server.request_headers.values()))
    after = ManifestIndex(sqlite_url).url_states("src", [i.url for i in items])
    assert [after[i.url].etag for i in items] == [f'"{n}-v2"' for n in range(20)]
    assert all(after[i.url].checked_at > before[i.url].checked_at for i in items)


def test_outcomes_and_failure_error_survive_pickling(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    outcomes = ingest_batch(
        "download", [FileToAcquire(name="x", url=http_server.url("/x"))], runtime(tmp_path, sqlite_url)
    )
    error = INGESTION.category_error("Project Alpha", "scheduled_file_downloads", outcomes)

    copy = pickle.loads(pickle.dumps(error))

    assert copy.outcomes == outcomes and str(copy) == str(error)
    assert str(copy).startswith("Project Alpha / ingestion / scheduled_file_downloads: 1 of 1 items failed: x: ")


@pytest.mark.parametrize(
    ("count", "configured", "expected"),
    [
        (1000, None, 1000),  # up to a thousand items: one batch, one Prefect task
        (10, None, 10),
        (1001, None, 501),  # past it: the fewest batches of at most a thousand, evened out
        (2500, None, 834),
        (100_000, None, 1000),
        (1000, 25, 25),  # a configured size wins
    ],
)
def test_batch_size_is_derived_from_the_item_count_unless_set(
    count: int, configured: int | None, expected: int
) -> None:
    assert batch_size_for(count, configured) == expected


def test_split_batches_keeps_order_and_bounds_size() -> None:
    assert split_batches(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]


class _IndexThatCannotRecordFetches(ManifestIndex):
    def record_fetches(self, records: Sequence[FetchRecord]) -> None:
        raise ManifestIndexError("manifest index: disk I/O error")


def test_a_failed_index_write_at_batch_end_still_writes_the_other_and_is_raised(tmp_path: Path) -> None:
    index = _IndexThatCannotRecordFetches(f"sqlite:///{tmp_path}/index.sqlite3")
    obj = IndexedObject(
        "src", "a" * 64, str(tmp_path), f"src/{'a' * 64}/f", "f", 1, None, "file", "u", datetime.now(UTC)
    )
    index.record_fetch(
        obj, url="http://h/f", name="f", etag=None, last_modified=None, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    fetched = [FetchRecord(obj, url="http://h/g", name="g", etag=None, last_modified=None)]

    with pytest.raises(ManifestIndexError, match="disk I/O error"):
        _record_batch(index, "src", fetched, [UnchangedMark("http://h/f", '"v2"', None)])

    state = index.url_state("src", "http://h/f")
    assert state is not None and state.etag == '"v2"' and state.checked_at > datetime(2026, 1, 1, tzinfo=UTC)
    assert index.url_state("src", "http://h/g") is None
    index.close()


def test_a_page_with_malformed_links_is_stored_and_says_how_many_it_skipped(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    page = http_server.serve(
        "/index.html",
        body=b'<a href="http://[::1">x</a> <a href="http://h:99999/y.csv">y</a> <a href="good.csv">good</a>',
        headers={"Content-Type": "text/html"},
    )

    [outcome] = ingest_batch("scrape_page", [PageToScrape(name="index", url=page)], runtime(tmp_path, sqlite_url))

    assert outcome.status == "stored"
    assert [link.url for link in outcome.links] == [http_server.url("/good.csv")]
    assert outcome.detail == "1 links, 2 malformed skipped"  # the category table artifact's detail column


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_category_run_records_its_store_relative_to_the_data_dir(
    http_server: LoopbackHTTPServer, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    data_dir = tmp_path / "data"
    index_url = (
        f"sqlite:///{data_dir / 'index.sqlite3'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    )
    data_dir.mkdir()
    batch = BatchRuntime(
        category="files",
        data_source_name="src",
        store_base=str(data_dir / "downloads"),
        index_url=index_url,
        policy=HttpPolicy(allow_private_networks=True),
        index_root=data_dir,
    )

    ingest_batch("download", [FileToAcquire(name="a", url=http_server.serve("/a.csv", body=b"a"))], batch)

    engine = sa.create_engine(index_url)
    with engine.connect() as conn:
        assert list(conn.execute(sa.text("SELECT storage_base FROM cas_objects")).scalars()) == ["downloads"]
    engine.dispose()


def test_a_batch_commits_its_files_together_and_reports_same_content_once_as_stored(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    items = [
        FileToAcquire(name="a", url=http_server.serve("/a.csv", body=b"same")),
        FileToAcquire(name="b", url=http_server.serve("/b.csv", body=b"same")),
        FileToAcquire(name="c", url=http_server.serve("/c.csv", body=b"other")),
    ]

    outcomes = ingest_batch("download", items, runtime(tmp_path, sqlite_url))

    assert [(o.name, o.status) for o in outcomes] == [("a", "stored"), ("b", "duplicate"), ("c", "stored")]
    assert outcomes[0].path == outcomes[1].path and Path(outcomes[0].path or "").read_bytes() == b"same"
    index = ManifestIndex(sqlite_url)
    assert index.count_rows() == {"cas_objects": 2, "object_sources": 3, "url_states": 3}
    row = index.get_object("src", outcomes[0].sha256 or "")
    assert row is not None and row.filename == "a.csv"
    assert [p.name for p in (tmp_path / "cas" / ".tmp").iterdir()] == []


def test_ingest_batch_fails_only_the_item_whose_code_raises_an_unexpected_error_and_scrubs_its_message(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    secret = "s3cr3t-query-value"
    buggy = FileToAcquire(
        name="buggy",
        url=http_server.url("/buggy.csv?token=raw-token-in-config"),
        auth=SourceAuth(query={"x": "query-block"}),
    )
    items = [
        FileToAcquire(name="a", url=http_server.serve("/a.csv", body=b"a")),
        buggy,
        FileToAcquire(name="b", url=http_server.serve("/b.csv", body=b"b")),
    ]
    real = kinds.download_hash_store_and_manifest

    def download(item: Any, ctx: Any, **kwargs: Any) -> Any:
        if item.name == "buggy":
            raise RecursionError(f"maximum recursion depth exceeded at {item.url}&x={secret}\nsecond line")
        return real(item, ctx, **kwargs)

    monkeypatch.setattr(kinds, "download_hash_store_and_manifest", download)

    outcomes = ingest_batch(
        "download", items, runtime(tmp_path, sqlite_url), secrets={"query-block": secret, "other-block": "unused"}
    )

    assert [(o.name, o.status) for o in outcomes] == [("a", "stored"), ("buggy", "failed"), ("b", "stored")]
    failed = outcomes[1]
    shown = http_server.url("/buggy.csv?token=REDACTED")
    assert failed.error_type == "RecursionError" and failed.url == shown
    assert failed.error == f"{shown}: unexpected RecursionError: maximum recursion depth exceeded at {shown}&x=REDACTED"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "buggy failed with an unexpected error" in logged and "Traceback" in logged
    assert secret not in logged and "raw-token-in-config" not in logged


def test_ingest_batch_scrubs_a_secret_straddling_the_cut_of_an_unexpected_error_message(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-query-value"
    item = FileToAcquire(name="buggy", url=http_server.url("/buggy.csv"), auth=SourceAuth(query={"x": "block"}))

    def download(item: Any, ctx: Any, **kwargs: Any) -> Any:
        raise ValueError("y" * 290 + secret)  # the 300-char cut falls inside the secret

    monkeypatch.setattr(kinds, "download_hash_store_and_manifest", download)

    [failed] = ingest_batch("download", [item], runtime(tmp_path, sqlite_url), secrets={"block": secret})

    assert failed.status == "failed" and failed.error is not None
    assert secret[:10] not in failed.error
    assert failed.error.startswith(f"{item.url}: unexpected ValueError: " + "y" * 290 + "REDACTED")


def test_ingest_batch_lets_a_keyboard_interrupt_through(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(item: Any, ctx: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(kinds, "download_hash_store_and_manifest", interrupted)

    with pytest.raises(KeyboardInterrupt):
        ingest_batch(
            "download", [FileToAcquire(name="a", url=http_server.url("/a.csv"))], runtime(tmp_path, sqlite_url)
        )


def test_a_batch_runs_its_items_concurrently_up_to_the_per_host_limit_and_keeps_their_order(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str
) -> None:
    """Twelve slow responses, eight threads, a per-host limit of three: never more than three at the server, more
    than one at once; outcomes in the items' order, each content stored once, every row pointing at a real file."""
    bodies = [b"same" if i in (2, 9) else b"body %d" % i for i in range(12)]
    items = [
        FileToAcquire(name=f"f{i}", url=http_server.serve(f"/f{i}.csv", body=body, response_delay_s=0.2))
        for i, body in enumerate(bodies)
    ]
    rt = runtime(tmp_path, sqlite_url)
    rt = dataclasses.replace(rt, policy=rt.policy.model_copy(update={"per_host_limit": 3}))
    seen: list[str] = []

    outcomes = ingest_batch("download", items, rt, concurrency=8, on_item=lambda o: seen.append(o.name))

    assert [o.name for o in outcomes] == [f"f{i}" for i in range(12)] and sorted(seen) == sorted(
        o.name for o in outcomes
    )
    assert 1 < http_server.max_in_flight <= 3
    statuses = [o.status for o in outcomes]
    assert statuses.count("stored") == 11 and sorted({statuses[2], statuses[9]}) == ["duplicate", "stored"]
    for outcome, body in zip(outcomes, bodies, strict=True):
        assert Path(outcome.path or "").read_bytes() == body
    index = ManifestIndex(sqlite_url)
    assert index.count_rows() == {"cas_objects": 11, "object_sources": 12, "url_states": 12}
    assert [p.name for p in (tmp_path / "cas" / ".tmp").iterdir()] == []


def test_a_failing_progress_report_does_not_stop_the_batch(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str, caplog: Any
) -> None:
    items = [FileToAcquire(name=f"f{i}", url=http_server.serve(f"/f{i}.csv", body=b"%d" % i)) for i in range(6)]

    def broken_report(outcome: Any) -> None:
        raise RuntimeError("the progress API is down")

    outcomes = ingest_batch("download", items, runtime(tmp_path, sqlite_url), concurrency=3, on_item=broken_report)

    assert [(o.name, o.status) for o in outcomes] == [(f"f{i}", "stored") for i in range(6)]
    assert ManifestIndex(sqlite_url).count_rows()["url_states"] == 6
    assert caplog.text.count("Reporting the outcome of") == 6 and "the progress API is down" in caplog.text
