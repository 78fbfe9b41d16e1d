"""fetch_robots: a real robots.txt served on loopback, and what each kind of answer means (RFC 9309)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airnub_prefect_starter.core.http.fetch import HttpTransport, build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.robots import (
    MAX_CRAWL_DELAY_S,
    ROBOTS_MAX_BYTES,
    fetch_robots,
    product_token,
    robots_url,
)
from tests.support.http_server import LoopbackHTTPServer, Route
from tests.support.ports import free_port

AGENT = "airnub-prefect-starter"
POLICY = HttpPolicy(allow_private_networks=True, retries=0, retry_delay_s=0)


@pytest.fixture
def client() -> Iterator[HttpTransport]:
    with build_http_client(POLICY) as client:
        yield client


def test_robots_rules_disallow_per_group_and_match_our_product_token(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    http_server.serve(
        "/robots.txt",
        body=b"User-agent: *\nDisallow: /private/\n\n"
        b"User-agent: airnub-prefect-starter\nDisallow: /data/raw/\nAllow: /data/raw/public.csv\nCrawl-delay: 2\n",
    )

    rules = fetch_robots(client, http_server.url("/any/page"), POLICY)

    assert not rules.allows(http_server.url("/data/raw/x.csv"), AGENT)
    assert rules.allows(http_server.url("/data/raw/public.csv"), AGENT)
    assert rules.allows(http_server.url("/private/x"), AGENT)  # our group replaces '*', as RFC 9309 says
    assert not rules.allows(http_server.url("/private/x"), "otherbot")
    assert rules.crawl_delay(AGENT) == 2.0 and rules.crawl_delay("otherbot") is None
    assert http_server.hits["/robots.txt"] == 1
    assert http_server.request_headers["/robots.txt"][0]["User-Agent"] == POLICY.user_agent


def test_robots_crawl_delay_is_capped(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    http_server.serve("/robots.txt", body=b"User-agent: *\nCrawl-delay: 86400\n")

    assert fetch_robots(client, http_server.url("/"), POLICY).crawl_delay(AGENT) == MAX_CRAWL_DELAY_S


@pytest.mark.parametrize("status", [404, 403, 401, 410])
def test_robots_4xx_means_everything_allowed(
    http_server: LoopbackHTTPServer, client: HttpTransport, status: int
) -> None:
    http_server.serve("/robots.txt", status=status, body=b"User-agent: *\nDisallow: /\n")

    rules = fetch_robots(client, http_server.url("/x"), POLICY)

    assert rules.unreachable is None and rules.allows(http_server.url("/x"), AGENT)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_robots_5xx_disallows_the_host_after_the_retries(
    http_server: LoopbackHTTPServer, client: HttpTransport, status: int
) -> None:
    http_server.serve("/robots.txt", status=status)

    rules = fetch_robots(client, http_server.url("/x"), POLICY.model_copy(update={"retries": 2}))

    assert rules.unreachable is not None and f"HTTP {status}" in rules.unreachable
    assert not rules.allows(http_server.url("/x"), AGENT)
    assert http_server.hits["/robots.txt"] == 3


def test_robots_5xx_then_success_is_retried_into_rules(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    http_server.serve("/robots.txt", Route(status=503), Route(body=b"User-agent: *\nDisallow: /a\n"))

    rules = fetch_robots(client, http_server.url("/x"), POLICY.model_copy(update={"retries": 1}))

    assert rules.unreachable is None and not rules.allows(http_server.url("/a"), AGENT)


def test_robots_unreachable_host_disallows_it(client: HttpTransport) -> None:
    port = free_port()  # nothing listens on it

    rules = fetch_robots(client, f"http://127.0.0.1:{port}/x", POLICY)

    assert rules.unreachable is not None and not rules.allows(f"http://127.0.0.1:{port}/x", AGENT)


def test_robots_redirect_is_followed(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    http_server.redirect("/robots.txt", http_server.url("/static/robots.txt"), status=301)
    http_server.serve("/static/robots.txt", body=b"User-agent: *\nDisallow: /b\n")

    rules = fetch_robots(client, http_server.url("/x"), POLICY)

    assert not rules.allows(http_server.url("/b"), AGENT) and rules.allows(http_server.url("/x"), AGENT)


def test_robots_reads_only_the_first_512_kib(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    head = b"User-agent: *\nDisallow: /early\n"
    filler = b"# " + b"x" * 1000 + b"\n"
    padding = filler * (ROBOTS_MAX_BYTES // len(filler) + 1)
    http_server.serve("/robots.txt", body=head + padding + b"Disallow: /late\n")

    rules = fetch_robots(client, http_server.url("/x"), POLICY)

    assert not rules.allows(http_server.url("/early"), AGENT)
    assert rules.allows(http_server.url("/late"), AGENT)  # beyond the cap: ignored


def test_robots_helpers_name_the_origin_and_the_token() -> None:
    assert robots_url("https://user:pw@Example.org:8443/a/b?q=1") == "https://Example.org:8443/robots.txt"
    assert product_token("my-bot/1.2 (+https://example.org/bot)") == "my-bot"
    assert product_token("airnub-prefect-starter") == "airnub-prefect-starter"


def test_a_robots_txt_longer_than_max_bytes_is_read_up_to_its_cut_not_ignored(http_server: LoopbackHTTPServer) -> None:
    """http.max_bytes limits downloads, not robots.txt: its first ROBOTS_MAX_BYTES are parsed whatever it declares."""
    rules = b"User-agent: *\nDisallow: /private\n" + b"# padding\n" * 20_000
    http_server.serve("/robots.txt", body=rules)
    policy = HttpPolicy(allow_private_networks=True, retries=0, max_bytes=100_000)

    with build_http_client(policy) as client:
        verdict = fetch_robots(client, http_server.url("/data.csv"), policy)

    assert verdict.unreachable is None
    assert not verdict.allows(http_server.url("/private/x"), "airnub") and verdict.allows(
        http_server.url("/x"), "airnub"
    )
