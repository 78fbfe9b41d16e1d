"""download_hash_store_and_manifest against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import pytest

from airnub_prefect_starter.core.errors import (
    DeadlineExceededError,
    PermanentDownloadError,
    PolicyViolationError,
    TransientDownloadError,
)
from airnub_prefect_starter.core.http.auth import Credentials, SourceAuth
from airnub_prefect_starter.core.store import hashing_writer
from airnub_prefect_starter.core.store.hashing_writer import DEFAULT_OFFLOAD_AFTER, WRITEBACK_WINDOW
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestStatus, download_hash_store_and_manifest
from tests.conftest import IngestEnv
from tests.support.http_server import LoopbackHTTPServer, Route, sha256_hex

BODY = b"station,temp_c\nA,12.5\nB,13.0\n" * 100


def item(url: str, name: str = "readings", **extra: str) -> FileToAcquire:
    return FileToAcquire(name=name, url=url, **extra)


def test_download_stores_bytes_and_hash_when_new(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/data/readings.csv", body=BODY, headers={"Content-Type": "text/csv"})

    result = download_hash_store_and_manifest(item(url), ingest_env.ctx())

    assert result.status is IngestStatus.STORED
    assert result.sha256 == sha256_hex(BODY)
    assert result.path == ingest_env.store.root / "test_source" / sha256_hex(BODY) / "readings.csv"
    assert result.path.read_bytes() == BODY
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["sha256"] == sha256_hex(BODY)
    assert manifest["size_bytes"] == len(BODY)
    assert manifest["source_url"] == url
    assert manifest["content_type"] == "text/csv"
    assert manifest["schema_version"] == 1
    row = ingest_env.index.get_object("test_source", sha256_hex(BODY))
    assert row is not None and row.relative_path == f"test_source/{sha256_hex(BODY)}/readings.csv"
    assert ingest_env.temp_files() == []


def test_download_sends_identity_encoding(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/f.csv", body=BODY)

    download_hash_store_and_manifest(item(url), ingest_env.ctx())

    assert http_server.request_headers["/f.csv"][0]["Accept-Encoding"] == "identity"


def test_download_returns_unchanged_on_304_and_rewrites_nothing(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve("/f.csv", body=BODY, etag='"v1"', last_modified="Wed, 21 Oct 2026 07:28:00 GMT")
    ctx = ingest_env.ctx()
    first = download_hash_store_and_manifest(item(url), ctx)
    mtimes = {p: p.stat().st_mtime_ns for p in ingest_env.objects()}

    second = download_hash_store_and_manifest(item(url), ctx)

    assert second.status is IngestStatus.UNCHANGED
    assert (second.sha256, second.path) == (first.sha256, first.path)
    assert http_server.request_headers["/f.csv"][1]["If-None-Match"] == '"v1"'
    assert {p: p.stat().st_mtime_ns for p in ingest_env.objects()} == mtimes
    assert ingest_env.index.count_rows() == {"cas_objects": 1, "object_sources": 1, "url_states": 1}


def test_download_returns_unchanged_when_server_ignores_validators(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve("/f.csv", body=BODY)
    ctx = ingest_env.ctx()
    download_hash_store_and_manifest(item(url), ctx)
    mtimes = {p: p.stat().st_mtime_ns for p in ingest_env.objects()}

    again = download_hash_store_and_manifest(item(url), ctx)

    assert again.status is IngestStatus.UNCHANGED
    assert {p: p.stat().st_mtime_ns for p in ingest_env.objects()} == mtimes
    assert ingest_env.temp_files() == []


def test_download_stores_new_version_when_content_changes(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve("/f.csv", Route(body=b"v1", etag='"1"'), Route(body=b"version two", etag='"2"'))
    ctx = ingest_env.ctx()
    download_hash_store_and_manifest(item(url), ctx)

    second = download_hash_store_and_manifest(item(url), ctx)

    assert second.status is IngestStatus.STORED and second.path.read_bytes() == b"version two"
    state = ingest_env.index.url_state("test_source", url)
    assert state is not None and (state.sha256, state.etag) == (sha256_hex(b"version two"), '"2"')


def test_download_dedupes_same_content_from_two_urls(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    first_url = http_server.serve("/a/one.csv", body=BODY)
    second_url = http_server.serve("/b/two.csv", body=BODY)
    ctx = ingest_env.ctx()

    first = download_hash_store_and_manifest(item(first_url, "one"), ctx)
    second = download_hash_store_and_manifest(item(second_url, "two"), ctx)

    assert (first.status, second.status) == (IngestStatus.STORED, IngestStatus.DUPLICATE)
    assert second.path == first.path
    assert len(ingest_env.objects()) == 2  # one object + its manifest
    assert [s.url for s in ingest_env.index.sources_of("test_source", first.sha256)] == [first_url, second_url]


def test_download_raises_permanent_on_404_without_retry(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.url("/missing.csv")

    with pytest.raises(PermanentDownloadError, match=r"missing\.csv: HTTP 404"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx(retries=3))

    assert http_server.hits["/missing.csv"] == 1
    assert ingest_env.objects() == [] and ingest_env.temp_files() == []


def test_download_retries_503_then_stores(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/f.csv", Route(status=503, body=b"busy", headers={"Retry-After": "0"}), Route(body=BODY))

    result = download_hash_store_and_manifest(item(url), ingest_env.ctx(retries=2))

    assert result.status is IngestStatus.STORED and result.path.read_bytes() == BODY
    assert http_server.hits["/f.csv"] == 2


def test_download_raises_transient_after_retries_exhausted(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve("/f.csv", status=503, body=b"busy")

    with pytest.raises(TransientDownloadError, match="HTTP 503"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx(retries=2))

    assert http_server.hits["/f.csv"] == 3
    assert ingest_env.index.count_rows()["cas_objects"] == 0


def test_download_rejects_truncated_body(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/f.bin", body=b"x" * 100, close_after=10)

    with pytest.raises(TransientDownloadError, match="received 10 of 100 bytes"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx())

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []
    assert ingest_env.index.count_rows() == {"cas_objects": 0, "object_sources": 0, "url_states": 0}


def test_large_body_hashed_and_written_off_the_reading_thread_is_byte_exact(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = os.urandom(DEFAULT_OFFLOAD_AFTER + WRITEBACK_WINDOW + 12345)
    url = http_server.serve("/large.bin", body=body)
    started: list[str] = []
    start_helper = hashing_writer._Helper.__init__

    def recording_start(helper: Any, name: str, consume: Any) -> None:
        started.append(name)
        start_helper(helper, name, consume)

    monkeypatch.setattr(hashing_writer._Helper, "__init__", recording_start)

    result = download_hash_store_and_manifest(item(url), ingest_env.ctx(max_bytes=len(body)))

    assert started == ["airnub-body-hasher", "airnub-body-writer"]

    assert result.status is IngestStatus.STORED and result.sha256 == sha256_hex(body)
    assert result.path.read_bytes() == body
    assert ingest_env.temp_files() == []


def test_large_body_cut_short_after_the_helpers_started_leaves_nothing(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    size, cut = 3 * DEFAULT_OFFLOAD_AFTER, 2 * DEFAULT_OFFLOAD_AFTER + 5
    url = http_server.serve("/large.bin", body=os.urandom(size), close_after=cut)

    with pytest.raises(TransientDownloadError, match=f"received {cut} of {size} bytes"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx(max_bytes=size))

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("airnub-body-")]


def test_download_rejects_content_length_over_max(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/big.bin", body=b"x" * 5000)

    with pytest.raises(PermanentDownloadError, match="Content-Length 5000 exceeds max_bytes 1000"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx(max_bytes=1000))

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []


def test_download_rejects_body_over_max_without_content_length(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve("/big.bin", body=b"x" * 5000, content_length=None)

    with pytest.raises(PermanentDownloadError, match="body exceeds max_bytes 1000"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx(max_bytes=1000))

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []


def test_download_stores_body_without_content_length(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/f.bin", body=BODY, content_length=None)

    result = download_hash_store_and_manifest(item(url), ingest_env.ctx())

    assert result.path.read_bytes() == BODY


def test_download_hits_total_deadline_on_slow_drip(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/slow.bin", body=b"x" * 200, drip_delay_s=0.05, drip_bytes=1)
    started = time.monotonic()

    with pytest.raises(DeadlineExceededError, match=r"total deadline of 0\.5s exceeded after receiving \d+ bytes"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx(total_deadline_s=0.5, read_timeout_s=2))

    assert time.monotonic() - started < 3.0
    assert ingest_env.objects() == [] and ingest_env.temp_files() == []


#: The target for a hard deadline is deadline + 10 % + 0.5 s; the tests allow a second more for a loaded machine
#: (benchmarks/bench_deadline.py measures the real overshoot).
DEADLINE_S = 1.5
LIMIT_S = DEADLINE_S * 1.1 + 0.5 + 1.0


@pytest.mark.parametrize(
    ("route", "message"),
    [
        pytest.param(Route(body=BODY, response_delay_s=30), "waiting for the response", id="never-answers"),
        pytest.param(
            Route(body=b"x" * 10, drip_delay_s=20, drip_bytes=1), r"after receiving 1 bytes", id="byte-every-20s"
        ),
        pytest.param(
            Route(body=b"x" * 50, drip_delay_s=0.9, drip_bytes=1), r"after receiving \d bytes", id="byte-every-0.9s"
        ),
    ],
)
def test_total_deadline_is_hard_whatever_the_server_does(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv, route: Route, message: str
) -> None:
    url = http_server.serve("/hostile.bin", route)
    started = time.monotonic()

    with pytest.raises(DeadlineExceededError, match=rf"/hostile\.bin: total deadline of 1\.5s exceeded {message}"):
        download_hash_store_and_manifest(
            item(url), ingest_env.ctx(total_deadline_s=DEADLINE_S, read_timeout_s=30, retries=2)
        )

    elapsed = time.monotonic() - started
    assert DEADLINE_S - 0.05 <= elapsed < LIMIT_S
    assert http_server.hits["/hostile.bin"] == 1  # a deadline is final: never retried
    assert ingest_env.objects() == [] and ingest_env.temp_files() == []


def test_total_deadline_covers_retries_and_their_waits(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    # two quick 503s, then a server that never answers: the retries spend the budget, they do not restart it
    url = http_server.serve(
        "/flaky.bin",
        Route(status=503, body=b"busy", headers={"Retry-After": "0"}),
        Route(status=503, body=b"busy", headers={"Retry-After": "0"}),
        Route(body=BODY, response_delay_s=30),
    )
    started = time.monotonic()

    with pytest.raises(DeadlineExceededError, match="waiting for the response"):
        download_hash_store_and_manifest(
            item(url), ingest_env.ctx(total_deadline_s=DEADLINE_S, read_timeout_s=30, retries=2)
        )

    assert time.monotonic() - started < LIMIT_S
    assert http_server.hits["/flaky.bin"] == 3


def test_retry_wait_past_the_deadline_is_not_started(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/busy.bin", status=503, body=b"busy", headers={"Retry-After": "30"})
    started = time.monotonic()

    with pytest.raises(
        DeadlineExceededError,
        match=r"total deadline of 1\.5s exceeded by the 30\.0s wait before retry 1, after: HTTP 503",
    ):
        download_hash_store_and_manifest(
            item(url), ingest_env.ctx(total_deadline_s=DEADLINE_S, retries=2, max_retry_after_s=60)
        )

    assert time.monotonic() - started < 1.0
    assert http_server.hits["/busy.bin"] == 1


def test_download_refuses_redirect_loop(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    http_server.redirect("/a", "/b")
    url = http_server.redirect("/b", "/a")

    with pytest.raises(PermanentDownloadError, match="redirect loop"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx())


def test_download_refuses_too_many_redirects(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    for hop in range(4):
        http_server.redirect(f"/r{hop}", f"/r{hop + 1}")
    http_server.serve("/r4", body=BODY)

    with pytest.raises(PermanentDownloadError, match="more than 2 redirects"):
        download_hash_store_and_manifest(item(http_server.url("/r0")), ingest_env.ctx(max_redirects=2))


def test_download_follows_redirect_and_names_file_from_final_url(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    http_server.serve("/real/final.csv", body=BODY)
    url = http_server.redirect("/latest", "/real/final.csv", status=301)

    result = download_hash_store_and_manifest(item(url), ingest_env.ctx())

    assert result.path.name == "final.csv"
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["final_url"] == http_server.url("/real/final.csv") and manifest["source_url"] == url


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"])
def test_download_refuses_redirect_to_non_http_scheme(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv, target: str
) -> None:
    url = http_server.redirect("/go", target)

    with pytest.raises(PolicyViolationError, match="redirect to scheme .* refused"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx())


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../x"', "x"),
        ('attachment; filename="/etc/passwd"', "passwd"),
        ('attachment; filename="..\\\\..\\\\win.ini"', "win.ini"),
        ("attachment; filename*=UTF-8''..%2F..%2Fx", "x"),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv", "résumé.csv"),
        ("attachment; filename=\"fallback.csv\"; filename*=UTF-8''pr%C3%A9f%C3%A9r%C3%A9.csv", "préféré.csv"),
        ('attachment; filename="CON.txt"', "_CON.txt"),
        ('attachment; filename=".."', "readings"),
        (f'attachment; filename="{"a" * 400}.csv"', "a" * 196 + ".csv"),
    ],
)
def test_download_names_file_safely_from_content_disposition(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv, disposition: str, expected: str
) -> None:
    url = http_server.serve("/dl", body=BODY, headers={"Content-Disposition": disposition})

    result = download_hash_store_and_manifest(item(url), ingest_env.ctx())

    assert result.path.name == expected
    assert result.path.parent.parent.parent == ingest_env.store.root
    assert result.path.read_bytes() == BODY


def test_download_refuses_loopback_address_by_default(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/f.csv", body=BODY)

    with pytest.raises(PolicyViolationError, match=r"127\.0\.0\.1.*allow_private_networks"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx(allow_private_networks=False))

    assert http_server.hits["/f.csv"] == 0
    assert ingest_env.objects() == []


def test_download_of_a_name_that_does_not_resolve_is_transient_and_names_the_url(ingest_env: IngestEnv) -> None:
    url = "http://airnub-test.invalid/f.csv?token=s3cret"  # .invalid never resolves (RFC 2606)

    with pytest.raises(TransientDownloadError, match=r"^http://airnub-test\.invalid/f\.csv\?token=REDACTED: .*resolve"):
        download_hash_store_and_manifest(item(url), ingest_env.ctx(allow_private_networks=False, retries=0))

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []


def test_download_error_redacts_query_secrets(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.url("/missing?api_key=s3cr3t&page=2")

    with pytest.raises(PermanentDownloadError) as caught:
        download_hash_store_and_manifest(item(url), ingest_env.ctx())

    assert "s3cr3t" not in str(caught.value)
    assert "api_key=REDACTED&page=2" in str(caught.value)


def test_download_manifest_drops_secret_headers_and_redacts_url(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve(
        "/f.csv",
        body=BODY,
        headers={"Set-Cookie": "session=abc", "X-Amz-Security-Token": "t0k", "Content-Type": "text/csv"},
    )

    result = download_hash_store_and_manifest(item(url + "?token=zzz"), ingest_env.ctx())

    text = result.manifest_path.read_text()
    assert "abc" not in text and "t0k" not in text and "zzz" not in text
    assert json.loads(text)["response_headers"]["content-type"] == "text/csv"


def test_download_refetches_when_stored_object_was_deleted(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve("/f.csv", body=BODY, etag='"v1"')
    ctx = ingest_env.ctx()
    first = download_hash_store_and_manifest(item(url), ctx)
    for path in ingest_env.objects():
        path.unlink()
    first.path.parent.rmdir()

    again = download_hash_store_and_manifest(item(url), ctx)

    assert "If-None-Match" not in http_server.request_headers["/f.csv"][1]
    assert again.status is IngestStatus.STORED and again.path.read_bytes() == BODY


def test_a_server_file_name_that_looks_like_a_manifest_cannot_poison_the_object(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    headers = {"Content-Disposition": 'attachment; filename="evil.manifest.json"'}
    first_url = http_server.serve("/a", body=BODY, headers=headers)
    second_url = http_server.serve("/b", body=BODY, headers=headers)

    first = download_hash_store_and_manifest(item(first_url), ingest_env.ctx())
    second = download_hash_store_and_manifest(item(second_url), ingest_env.ctx())

    assert first.path.name == "evil.manifest_.json" and first.path.read_bytes() == BODY
    assert (first.status.value, second.status.value) == ("stored", "duplicate")  # the object is still found
    assert sorted(p.name for p in first.path.parent.iterdir()) == [
        "evil.manifest_.json",
        "evil.manifest_.json.manifest.json",
    ]


def test_credentials_do_not_follow_a_redirect_to_another_origin(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    other_origin = http_server.url("/final").replace("127.0.0.1", "localhost")  # same server, another host
    http_server.serve("/final", body=BODY)
    http_server.redirect("/same", http_server.url("/hop"))
    http_server.redirect("/hop", other_origin)
    secret = {"Authorization": "Bearer s3cr3t", "Cookie": "session=s3cr3t", "Accept": "text/csv"}

    download_hash_store_and_manifest(item(http_server.url("/same")), ingest_env.ctx(), headers=secret)

    sent = {path: {k.lower(): v for k, v in hs[0].items()} for path, hs in http_server.request_headers.items()}
    assert sent["/same"]["authorization"] == sent["/hop"]["authorization"] == "Bearer s3cr3t"  # same origin
    assert "authorization" not in sent["/final"] and "cookie" not in sent["/final"]
    assert sent["/final"]["accept"] == "text/csv"  # other headers still go


def test_secret_headers_and_query_values_go_to_the_sources_origin_only(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    other_origin = http_server.url("/final").replace("127.0.0.1", "localhost")
    http_server.serve("/final", body=BODY)
    http_server.redirect("/start", http_server.url("/hop?echo=qv4lue"))  # a server echoing the secret back
    http_server.redirect("/hop", other_origin)
    credentials = Credentials(headers={"X-API-Key": "k3y"}, query={"access": "qv4lue"})

    result = download_hash_store_and_manifest(
        item(http_server.url("/start")), ingest_env.ctx(), credentials=credentials
    )

    assert http_server.request_paths["/start"] == ["/start?access=qv4lue"]
    assert http_server.request_headers["/start"][0]["X-API-Key"] == http_server.request_headers["/hop"][0]["X-API-Key"]
    assert "X-API-Key" not in http_server.request_headers["/final"][0]
    assert http_server.request_paths["/final"] == ["/final"]
    recorded = result.manifest_path.read_text() + repr(ingest_env.index.get_object("test_source", result.sha256))
    assert "qv4lue" not in recorded and "k3y" not in recorded
    assert result.url == http_server.url("/start")


def test_download_manifest_final_url_hides_a_secret_echoed_in_lowercase_percent_encoding(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    http_server.serve("/final", body=BODY)
    http_server.redirect("/start", http_server.url("/final?x=a%2fb%2bc%3d"))  # same origin, the secret echoed
    result = download_hash_store_and_manifest(
        item(http_server.url("/start")), ingest_env.ctx(), credentials=Credentials(query={"access": "a/b+c="})
    )

    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["final_url"] == http_server.url("/final?x=REDACTED")
    recorded = result.manifest_path.read_text() + repr(ingest_env.index.get_object("test_source", result.sha256))
    assert "b%2Bc" not in recorded and "b%2bc" not in recorded


def test_download_manifest_final_url_hides_a_bearer_token_echoed_under_a_plain_key(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    http_server.serve("/final", body=BODY)
    http_server.redirect("/start", http_server.url("/final?x=t0ken-value"))
    credentials = SourceAuth(bearer_secret_block="token").credentials({"token": "t0ken-value"}, "src")

    result = download_hash_store_and_manifest(
        item(http_server.url("/start")), ingest_env.ctx(), credentials=credentials
    )

    assert http_server.request_headers["/final"][0]["Authorization"] == "Bearer t0ken-value"
    assert json.loads(result.manifest_path.read_text())["final_url"] == http_server.url("/final?x=REDACTED")
    recorded = result.manifest_path.read_text() + repr(ingest_env.index.get_object("test_source", result.sha256))
    assert "t0ken-value" not in recorded
