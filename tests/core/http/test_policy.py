"""URL policy checks made before any connection."""

from __future__ import annotations

import pytest

from airnub_prefect_starter.core.config import parse_config
from airnub_prefect_starter.core.errors import ConfigError, PolicyViolationError
from airnub_prefect_starter.core.http.policy import (
    HttpOverrides,
    HttpPolicy,
    checked_url,
    is_forbidden_address,
    origin_of,
)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_check_url_refuses_private_addresses_by_default(url: str) -> None:
    with pytest.raises(PolicyViolationError, match="private/loopback/link-local"):
        checked_url(url, HttpPolicy())


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "javascript:alert(1)"])
def test_check_url_refuses_non_http_schemes(url: str) -> None:
    with pytest.raises(PolicyViolationError, match="not allowed|no host|invalid URL"):
        checked_url(url, HttpPolicy(allow_private_networks=True))


def test_check_url_enforces_allowed_hosts() -> None:
    policy = HttpPolicy(allow_private_networks=True, allowed_hosts=(".example.org", "127.0.0.1"))

    checked_url("http://data.example.org/x", policy)
    checked_url("http://127.0.0.1/x", policy)
    with pytest.raises(PolicyViolationError, match="not in allowed_hosts"):
        checked_url("http://evil.org/x", policy)


def test_is_forbidden_address_allows_public_addresses() -> None:
    assert not is_forbidden_address("93.184.216.34")
    assert not is_forbidden_address("2606:2800:220:1:248:1893:25c8:1946")
    assert is_forbidden_address("100.100.100.200")  # cloud metadata


def test_policy_merge_applies_overrides_in_order() -> None:
    stage = HttpOverrides(retries=5, read_timeout_s=9)
    category = HttpOverrides(retries=1)

    merged = HttpPolicy().merged(stage, None, category)

    assert (merged.retries, merged.read_timeout_s, merged.connect_timeout_s) == (1, 9, 10.0)


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("2002:7f00:1::1", True),  # 6to4 of 127.0.0.1
        ("2002:a01:203::1", True),  # 6to4 of 10.1.2.3
        ("2002:5db8:d822::1", False),  # 6to4 of a public address
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254 (cloud metadata)
        ("64:ff9b::5db8:d822", False),  # NAT64 of a public address
        ("2001:0:4136:e378:8000:63bf:80ff:fefe", True),  # Teredo, client 127.0.1.1
        ("2001:0:4136:e378:8000:63bf:a247:27dd", False),  # Teredo, client 93.184.216.34
        ("::ffff:10.0.0.1", True),  # IPv4-mapped
    ],
)
def test_ipv6_forms_that_wrap_an_ipv4_address_are_judged_as_that_address(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(address) is forbidden


@pytest.mark.parametrize(
    "address",
    [
        "fec0::1",  # site-local (deprecated, RFC 3879)
        "feff:ffff::1",  # the end of fec0::/10
        "3fff::1",  # documentation (RFC 9637)
        "64:ff9b:1::a",  # local-use NAT64 (RFC 8215)
        "192.88.99.1",  # 6to4 relay anycast (deprecated, RFC 7526)
        "100.64.0.1",  # shared address space (carrier-grade NAT)
    ],
)
def test_is_forbidden_address_refuses_special_ranges_ipaddress_does_not_flag(address: str) -> None:
    assert is_forbidden_address(address)


def test_check_url_refuses_a_site_local_ipv6_address() -> None:
    with pytest.raises(PolicyViolationError, match=r"resolves to fec0::1, a private/loopback/link-local address"):
        checked_url("http://[fec0::1]/x", HttpPolicy())


def test_origin_of_names_scheme_host_and_port_with_the_default_port_explicit() -> None:
    assert origin_of("HTTPS://Example.org/a") == ("https", "example.org", 443)
    assert str(origin_of("https://Example.org/a")) == "https://example.org:443"
    assert str(origin_of("http://example.org:8080/a")) == "http://example.org:8080"


@pytest.mark.parametrize("pattern", [".com", ".COM.", ".localhost", "https://example.org", "a b"])
def test_http_allowed_hosts_refuses_a_single_label_suffix_or_a_non_host_in_one_config_error_line(
    pattern: str,
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(HttpOverrides, {"allowed_hosts": ["example.org", pattern]}, "configs/x.yaml")

    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith("configs/x.yaml: allowed_hosts[1]: ")
    assert repr(pattern) in str(raised.value)


@pytest.mark.parametrize("pattern", ["example.org", ".example.org", ".co.uk", "localhost", "127.0.0.1", "::1"])
def test_http_allowed_hosts_accepts_hosts_and_domain_suffixes(pattern: str) -> None:
    assert HttpPolicy(allowed_hosts=(pattern,)).allowed_hosts == (pattern,)
