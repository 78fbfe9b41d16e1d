"""A host that cannot be reached is reported as the network error, not as a robots.txt decision, and is asked once
per run: every URL of the host then fails at once with the same cause (RFC 9309 verdicts for real answers stay)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import RobotsDisallowedError, TransientDownloadError
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.fetch import HttpTransport, build_http_client
from airnub_prefect_starter.core.http.limits import ProcessHostLimits
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.politeness import Politeness
from airnub_prefect_starter.core.http.rate import HostPacer
from airnub_prefect_starter.core.http.robots import fetch_robots
from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import FileToAcquire
from tests.support.http_server import LoopbackHTTPServer
from tests.support.ports import free_port

POLICY = HttpPolicy(allow_private_networks=True, retries=0, retry_delay_s=0)


def _polite(policy: HttpPolicy) -> Politeness:
    """Politeness pacing on a timeline of its own (not the process's, which other tests share)."""
    return Politeness(policy, ProcessHostLimits(policy, HostPacer()))


@pytest.fixture
def client() -> Iterator[HttpTransport]:
    with build_http_client(POLICY) as client:
        yield client


@pytest.fixture
def dead_origin() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


def test_politeness_reports_a_refused_connection_as_the_network_error(client: HttpTransport, dead_origin: str) -> None:
    polite = _polite(POLICY)

    for path in ("/api/a", "/api/b"):
        with pytest.raises(TransientDownloadError) as raised:
            polite.before_request(client, f"{dead_origin}{path}", Deadline(10))

        refused = "cannot connect (ConnectError: [Errno 111] Connection refused)"
        assert str(raised.value) == f"{dead_origin}{path}: {refused}"
        assert not isinstance(raised.value, RobotsDisallowedError)


def test_fetch_robots_marks_a_host_it_cannot_connect_to(client: HttpTransport, dead_origin: str) -> None:
    rules = fetch_robots(client, f"{dead_origin}/x", POLICY)

    assert rules.cannot_connect == "ConnectError: [Errno 111] Connection refused"
    assert not rules.allows(f"{dead_origin}/x", "airnub-prefect-starter")


def test_fetch_robots_5xx_is_still_a_robots_verdict_not_a_network_error(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    http_server.serve("/robots.txt", status=503)
    polite = _polite(POLICY)

    with pytest.raises(RobotsDisallowedError, match=r"robots.txt unreachable \(HTTP 503"):
        polite.before_request(client, http_server.url("/a"), Deadline(10))

    assert fetch_robots(client, http_server.url("/a"), POLICY).cannot_connect is None


def test_ingest_batch_fails_every_item_of_a_dead_host_at_once_after_one_robots_attempt(
    dead_origin: str, tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    policy = HttpPolicy(allow_private_networks=True, retries=2, retry_delay_s=0.01)
    runtime = BatchRuntime(
        category="files", data_source_name="src", store_base=str(tmp_path / "cas"), index_url=sqlite_url, policy=policy
    )
    items = [FileToAcquire(name=f"f{i}", url=f"{dead_origin}/files/f{i}.csv") for i in range(3)]

    with caplog.at_level(logging.WARNING, logger="airnub_prefect_starter.core.http.retry"):
        outcomes = ingest_batch("download", items, runtime)

    assert [(o.status, o.transient, o.error) for o in outcomes] == [
        ("failed", True, f"{item.url}: cannot connect (ConnectError: [Errno 111] Connection refused)") for item in items
    ]
    retried = [r.getMessage() for r in caplog.records if r.name == "airnub_prefect_starter.core.http.retry"]
    assert len(retried) == 2 and all("/robots.txt:" in message for message in retried)  # the items: no retries


def test_politeness_reports_a_dns_failure_as_the_network_error() -> None:
    policy = HttpPolicy(retries=0, retry_delay_s=0)  # public addresses only: the policy's backend resolves the name
    url = "http://airnub-test.invalid/data.csv"  # RFC 6761: never resolves

    with build_http_client(policy) as client, pytest.raises(TransientDownloadError) as raised:
        _polite(policy).before_request(client, url, Deadline(10))

    cause = "cannot connect (ConnectError: cannot resolve host 'airnub-test.invalid'"
    assert str(raised.value).startswith(f"{url}: {cause}")
