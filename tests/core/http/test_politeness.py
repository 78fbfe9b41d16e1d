"""Politeness: robots.txt once per origin and run (whatever the threads), refusals, pacing, the opt-out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from airnub_prefect_starter.core.errors import DeadlineExceededError, RobotsDisallowedError
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.fetch import HttpTransport, build_http_client
from airnub_prefect_starter.core.http.limits import ProcessHostLimits
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.politeness import Politeness, politeness_for_run
from airnub_prefect_starter.core.http.rate import HostPacer
from tests.support.http_server import LoopbackHTTPServer, Route

POLICY = HttpPolicy(allow_private_networks=True, retries=0, retry_delay_s=0)


def _polite(policy: HttpPolicy, pacer: HostPacer | None = None) -> Politeness:
    """Politeness pacing on a timeline of its own (not the process's, which other tests share)."""
    return Politeness(policy, ProcessHostLimits(policy, pacer or HostPacer()))


@pytest.fixture
def client() -> Iterator[HttpTransport]:
    with build_http_client(POLICY) as client:
        yield client


def test_robots_is_fetched_once_per_origin_by_concurrent_threads(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    http_server.serve("/robots.txt", Route(body=b"User-agent: *\nDisallow: /private/\n", response_delay_s=0.3))
    polite = _polite(POLICY)
    urls = [http_server.url(f"/{'private/' if i % 3 == 0 else ''}f{i}") for i in range(12)]

    def ask(url: str) -> str:
        try:
            polite.before_request(client, url, Deadline(10))
        except RobotsDisallowedError as exc:
            return str(exc)
        return "ok"

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(ask, urls))

    assert http_server.hits["/robots.txt"] == 1
    assert answers == [f"{u}: disallowed by robots.txt" if "/private/" in u else "ok" for u in urls]


def test_unreachable_robots_refuses_every_url_of_the_host_naming_why(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    http_server.serve("/robots.txt", status=503)
    polite = _polite(POLICY)

    for path in ("/a", "/b"):
        with pytest.raises(RobotsDisallowedError, match=r"/[ab]: robots.txt unreachable \(HTTP 503"):
            polite.before_request(client, http_server.url(path), Deadline(10))

    assert http_server.hits["/robots.txt"] == 1


def test_opt_out_fetches_no_robots_and_refuses_nothing(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    http_server.serve("/robots.txt", body=b"User-agent: *\nDisallow: /\n")
    polite = _polite(POLICY.model_copy(update={"respect_robots_txt": False}))

    polite.before_request(client, http_server.url("/x"), Deadline(10))

    assert http_server.hits["/robots.txt"] == 0


def test_crawl_delay_spaces_requests_robots_fetch_included(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    http_server.serve("/robots.txt", body=b"User-agent: *\nCrawl-delay: 0.2\n")
    polite = _polite(POLICY)
    started = time.monotonic()

    for i in range(4):  # robots.txt at 0, then the four at 0.2, 0.4, 0.6, 0.8
        polite.before_request(client, http_server.url(f"/f{i}"), Deadline(10))

    assert 0.8 <= time.monotonic() - started < 3.0


def test_per_host_rate_spaces_requests_without_robots(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    polite = _polite(POLICY.model_copy(update={"respect_robots_txt": False, "per_host_rate": 10.0}))
    started = time.monotonic()

    for i in range(6):
        polite.before_request(client, http_server.url(f"/f{i}"), Deadline(10))

    assert 0.5 <= time.monotonic() - started < 3.0


def test_a_slot_past_the_deadline_fails_at_once(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    polite = _polite(POLICY.model_copy(update={"respect_robots_txt": False, "per_host_rate": 0.1}))
    polite.before_request(client, http_server.url("/a"), Deadline(10))
    started = time.monotonic()

    with pytest.raises(DeadlineExceededError, match=r"/b: total deadline of 5s exceeded before the host's next"):
        polite.before_request(client, http_server.url("/b"), Deadline(5))

    assert time.monotonic() - started < 1.0


def test_one_politeness_per_run_and_policy() -> None:
    strict = POLICY.model_copy(update={"per_host_rate": 1.0})

    assert politeness_for_run("run-1", POLICY) is politeness_for_run("run-1", POLICY)
    assert politeness_for_run("run-1", POLICY) is not politeness_for_run("run-2", POLICY)
    assert politeness_for_run("run-1", strict) is not politeness_for_run("run-1", POLICY)


class _FakeTime:
    """A clock that moves only when something sleeps: pacing decisions without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_politeness_caps_a_crawl_delay_at_or_past_the_deadline_when_it_would_block_the_host(
    http_server: LoopbackHTTPServer, client: HttpTransport, caplog: pytest.LogCaptureFixture
) -> None:
    http_server.serve("/robots.txt", body=b"User-agent: *\nCrawl-delay: 30\n")
    policy = POLICY.model_copy(update={"total_deadline_s": 20.0, "per_host_limit": 2})  # cap: 20 / (2 * 2) = 5 s
    fake = _FakeTime()
    polite = _polite(policy, HostPacer(clock=fake.clock, sleep=fake.sleep))

    for path in ("/a", "/b", "/c"):
        polite.before_request(client, http_server.url(path), Deadline(policy.total_deadline_s))

    assert fake.sleeps == [5.0, 5.0, 5.0]  # after the robots.txt request, one capped interval apart
    warnings = [r.getMessage() for r in caplog.records if r.name.endswith("politeness")]
    assert warnings == [
        f"robots.txt of http://127.0.0.1:{http_server.port} asks for a Crawl-delay of 30 s, but "
        "http.total_deadline_s is 20 s (with per_host_limit 2 items waiting for the host): honouring 5 s so "
        "requests can go out in time"
    ]


def test_politeness_honours_a_crawl_delay_within_the_cap_as_is(
    http_server: LoopbackHTTPServer, client: HttpTransport, caplog: pytest.LogCaptureFixture
) -> None:
    http_server.serve("/robots.txt", body=b"User-agent: *\nCrawl-delay: 4\n")
    policy = POLICY.model_copy(update={"total_deadline_s": 20.0, "per_host_limit": 2})
    fake = _FakeTime()
    polite = _polite(policy, HostPacer(clock=fake.clock, sleep=fake.sleep))

    for path in ("/a", "/b"):
        polite.before_request(client, http_server.url(path), Deadline(policy.total_deadline_s))

    assert fake.sleeps == [4.0, 4.0]
    assert not [r for r in caplog.records if r.name.endswith("politeness")]
