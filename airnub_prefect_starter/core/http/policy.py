"""The HTTP policy: what a download may do, and the address checks that enforce it on every hop.

:class:`HttpPolicy` is the complete, validated policy. :class:`HttpOverrides` is the partial form found in
YAML (``http:`` at the top of a stage config and inside a category); :meth:`HttpPolicy.merged` applies them.
:func:`checked_url` checks a URL before a request (scheme, host list, resolved addresses), and the transport
(:mod:`~airnub_prefect_starter.core.http.transport`) checks the address actually connected to with
:func:`is_forbidden_address`, so DNS rebinding between the two checks cannot reach a private address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from airnub_prefect_starter import __version__
from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.config import ConfigModel, reject_moved_key
from airnub_prefect_starter.core.errors import PolicyViolationError, TransientDownloadError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "HostPattern",
    "HttpOverrides",
    "HttpPolicy",
    "Origin",
    "checked_url",
    "host_matches",
    "is_forbidden_address",
    "origin_of",
]

_ALLOWED_SCHEMES = frozenset({"http", "https"})
# Cloud metadata endpoints that are not covered by the private/link-local ranges.
_METADATA_ADDRESSES = frozenset({ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")})
# Special-purpose ranges that ipaddress does not flag (or flags only in some Python versions): no public source
# lives there, and some reach a local network.
_SPECIAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "100.64.0.0/10",  # shared address space, carrier-grade NAT (RFC 6598)
        "192.88.99.0/24",  # 6to4 relay anycast, deprecated (RFC 7526)
        "fec0::/10",  # site-local, deprecated (RFC 3879)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "3fff::/20",  # documentation (RFC 9637)
    )
)

_HOST_PATTERN = re.compile(r"\.?[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


def _host_pattern(value: str) -> str:
    if not _HOST_PATTERN.fullmatch(value):
        raise ValueError(f"'{value}' is not a host: write 'files.example.org', or '.example.org' for its subdomains")
    label = value.strip(".")
    if value.startswith(".") and "." not in label:
        raise ValueError(f"'{value}' matches every host under a top-level domain: name one, e.g. '.example.{label}'")
    return value


#: A host (``files.example.org``, an address), or ``.example.org`` for its subdomains (see :func:`host_matches`);
#: a single-label suffix (``.com``) is refused.
HostPattern = Annotated[
    str,
    AfterValidator(_host_pattern),
    Field(description="A host name or address ('files.example.org'), or '.example.org' for its subdomains."),
]

# name -> (default, description, constraints). One table feeds both the full policy and its YAML overrides.
_POLICY_SPEC: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "allow_private_networks": (
        False,
        "Allow loopback, private, link-local and metadata addresses (off by default).",
        {},
    ),
    "connect_timeout_s": (10.0, "Seconds to establish a TCP/TLS connection.", {"gt": 0}),
    "read_timeout_s": (30.0, "Seconds to wait for any single read from the server.", {"gt": 0}),
    "total_deadline_s": (
        900.0,
        "Hard wall-clock limit for one item: redirect hops, every read, retries and their waits included.",
        {"gt": 0},
    ),
    "max_bytes": (2 * 1024**3, "Largest body accepted, with or without Content-Length.", {"gt": 0}),
    "max_redirects": (5, "Redirect hops followed before giving up.", {"ge": 0, "le": 30}),
    "retries": (
        3,
        "Retries of a transient failure (connect, timeout, 408/429/5xx, truncated).",
        {"ge": 0, "le": 20},
    ),
    "retry_delay_s": (1.0, "Base delay between retries; doubles each time, with jitter.", {"ge": 0}),
    "max_retry_after_s": (60.0, "Cap on a server's Retry-After before retrying.", {"ge": 0}),
    "per_host_limit": (4, "Downloads in flight at once against one host.", {"ge": 1, "le": 64}),
    "per_host_rate": (
        None,
        "Requests per second started against one host (redirect hops and robots.txt count); unset: no limit "
        "beyond per_host_limit and robots.txt Crawl-delay.",
        {"gt": 0},
    ),
    "respect_robots_txt": (
        True,
        "Fetch each host's robots.txt once per run, refuse the URLs it disallows for the User-Agent's product "
        "token and honour its Crawl-delay (at most 60 s, and at most total_deadline_s / (2 * per_host_limit), "
        "so requests still go out within the deadline); an unreachable one (5xx) disallows the host.",
        {},
    ),
    "trust_env": (False, "Honour HTTP(S)_PROXY, SSL_CERT_FILE and .netrc from the environment.", {}),
    "allowed_hosts": (
        (),
        "If set, only these hosts (or subdomains, written '.example.org') are fetched.",
        {},
    ),
    "user_agent": (
        f"airnub-prefect-starter/{__version__}",
        "User-Agent header sent; its product token (before '/') is the name robots.txt rules are matched to.",
        {"min_length": 1},
    ),
}


def _policy_field(name: str) -> Any:
    default, description, constraints = _POLICY_SPEC[name]
    return Field(default=default, description=description, **constraints)


def _override_field(name: str) -> Any:
    _, description, constraints = _POLICY_SPEC[name]
    return Field(default=None, description=f"Overrides http.{name}: {description}", **constraints)


class HttpPolicy(ConfigModel):
    """Complete HTTP policy for one category run."""

    allow_private_networks: bool = _policy_field("allow_private_networks")
    connect_timeout_s: float = _policy_field("connect_timeout_s")
    read_timeout_s: float = _policy_field("read_timeout_s")
    total_deadline_s: float = _policy_field("total_deadline_s")
    max_bytes: int = _policy_field("max_bytes")
    max_redirects: int = _policy_field("max_redirects")
    retries: int = _policy_field("retries")
    retry_delay_s: float = _policy_field("retry_delay_s")
    max_retry_after_s: float = _policy_field("max_retry_after_s")
    per_host_limit: int = _policy_field("per_host_limit")
    per_host_rate: float | None = _policy_field("per_host_rate")
    respect_robots_txt: bool = _policy_field("respect_robots_txt")
    trust_env: bool = _policy_field("trust_env")
    allowed_hosts: tuple[HostPattern, ...] = _policy_field("allowed_hosts")
    user_agent: str = _policy_field("user_agent")

    def merged(self, *overrides: HttpOverrides | None) -> HttpPolicy:
        """This policy with each override applied in order (later wins); ``None`` overrides are skipped."""
        update: dict[str, Any] = {}
        for override in overrides:
            if override is not None:
                update.update(override.model_dump(exclude_unset=True))
        return self.model_validate({**self.model_dump(), **update}) if update else self


class HttpOverrides(ConfigModel):
    """The ``http:`` mapping of a config file: any subset of :class:`HttpPolicy`'s keys."""

    allow_private_networks: bool | None = _override_field("allow_private_networks")
    connect_timeout_s: float | None = _override_field("connect_timeout_s")
    read_timeout_s: float | None = _override_field("read_timeout_s")
    total_deadline_s: float | None = _override_field("total_deadline_s")
    max_bytes: int | None = _override_field("max_bytes")
    max_redirects: int | None = _override_field("max_redirects")
    retries: int | None = _override_field("retries")
    retry_delay_s: float | None = _override_field("retry_delay_s")
    max_retry_after_s: float | None = _override_field("max_retry_after_s")
    per_host_limit: int | None = _override_field("per_host_limit")
    per_host_rate: float | None = _override_field("per_host_rate")
    respect_robots_txt: bool | None = _override_field("respect_robots_txt")
    trust_env: bool | None = _override_field("trust_env")
    allowed_hosts: tuple[HostPattern, ...] | None = _override_field("allowed_hosts")
    user_agent: str | None = _override_field("user_agent")

    @model_validator(mode="before")
    @classmethod
    def _concurrency_moved(cls, data: Any) -> Any:
        return reject_moved_key(data, "max_concurrency", "task_runner.max_concurrency in the stage config")


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _wrapped_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped, 6to4 (2002::/16), NAT64 (64:ff9b::/96) or Teredo
    (the client address). Such an address reaches what it wraps, so it is judged as that address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_forbidden_address(address: str) -> bool:
    """True for loopback, private, link-local, site-local, multicast, reserved, unspecified, metadata and other
    special-purpose addresses (shared, documentation, deprecated relay), also when wrapped in IPv6 (IPv4-mapped,
    6to4, NAT64, Teredo)."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _wrapped_ipv4(ip) or ip
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in _METADATA_ADDRESSES
        or any(ip in network for network in _SPECIAL_NETWORKS)
    )


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Origin(NamedTuple):
    """Scheme, host and port of a URL (lower case, the default port made explicit); shown as
    ``scheme://host:port``."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def origin_of(url: str) -> Origin:
    """The :class:`Origin` of ``url``: credentials, robots.txt and pacing are per origin."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return Origin(scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme, 0))


def host_matches(host: str, allowed_hosts: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``allowed_hosts``, or a subdomain of one written ``.example.org``
    (case-insensitive, a trailing dot ignored)."""
    host = host.lower().rstrip(".")
    for allowed in allowed_hosts:
        allowed = allowed.lower().rstrip(".")
        if host == allowed.lstrip(".") or (allowed.startswith(".") and host.endswith(allowed)):
            return True
    return False


def checked_url(url: str, policy: HttpPolicy, *, resolve: bool = True, shown: str | None = None) -> httpx.URL:
    """``url`` parsed as httpx sends it, once it may be fetched under ``policy``; else
    :class:`PolicyViolationError`, naming ``shown`` (default: ``url`` redacted; pass the URL as reported when
    ``url`` carries secret query values). The request is built from the result, so a URL is parsed once per
    request.

    Checks the scheme, the host list and, unless private networks are allowed and if ``resolve``, every address
    the host resolves to. A name that does not resolve raises :class:`TransientDownloadError` (DNS can
    recover). Callers whose transport vets the address it connects to pass ``resolve=False``: the address
    actually dialled is checked there, and a lookup per request (each file, each redirect hop) is saved.
    """
    import httpx  # local: keeps this module importable in tools that only need the models

    named = redact_url(url if shown is None else shown)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise PolicyViolationError(named, f"invalid URL ({exc})") from exc
    if parsed.scheme not in _ALLOWED_SCHEMES:
        raise PolicyViolationError(named, f"scheme '{parsed.scheme}' is not allowed (http and https only)")
    host = parsed.host
    if not host:
        raise PolicyViolationError(named, "URL has no host")
    if policy.allowed_hosts and not host_matches(host, policy.allowed_hosts):
        raise PolicyViolationError(named, f"host '{host}' is not in allowed_hosts")
    if policy.allow_private_networks or not resolve:
        return parsed
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = _resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransientDownloadError(named, f"cannot resolve host '{host}' ({exc})") from exc
    for address in addresses:
        if is_forbidden_address(address):
            raise PolicyViolationError(
                named,
                f"host '{host}' resolves to {address}, a private/loopback/link-local address "
                "(set http.allow_private_networks: true to allow)",
            )
    return parsed
