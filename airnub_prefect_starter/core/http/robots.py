"""robots.txt (RFC 9309): fetch one host's file under the HTTP policy, parse it with protego, answer for a URL.

The file is fetched like any download (:func:`~airnub_prefect_starter.core.http.fetch.fetch`: address
checks on every hop, redirects, a deadline), with the policy's retries for transient failures. What each outcome
means follows RFC 9309 section 2.3.1, as Google's crawler does:

- 2xx: the rules in its first :data:`ROBOTS_MAX_BYTES` bytes (the RFC asks parsers for at least 500 KiB);
- 4xx (404, 403, 401...), a redirect loop or a refused redirect: the file is *unavailable*: everything allowed;
- 5xx, 408, 429, a read timeout or a broken connection once retries are spent: the file is *unreachable*: the
  whole host is disallowed (a site that is down may be down because it is overloaded; RFC 9309: "MUST assume
  complete disallow"). The verdict is kept for the run; the next run asks again.
- no connection at all once retries are spent (connection refused, DNS failure, connect timeout): the host itself
  is unreachable, and that, not a robots.txt decision, is the cause every URL of the host fails with for the run
  (``cannot_connect``: :class:`~airnub_prefect_starter.core.errors.HostUnreachableError`).

Groups are matched against the *product token* of the User-Agent (``my-bot`` of ``my-bot/1.2 (+https://...)``).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import DownloadError, PermanentDownloadError
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.fetch import fetch
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.retry import retry_transient
from airnub_prefect_starter.core.http.transport import BodyComplete, ConnectError, HttpTransport

__all__ = [
    "MAX_CRAWL_DELAY_S",
    "ROBOTS_MAX_BYTES",
    "RobotsRules",
    "fetch_robots",
    "product_token",
    "robots_url",
]

logger = logging.getLogger(__name__)

#: Bytes of a robots.txt that are read and parsed; the rest is ignored (RFC 9309 asks for at least 500 KiB).
ROBOTS_MAX_BYTES = 512 * 1024
#: robots.txt of any length is read: its first :data:`ROBOTS_MAX_BYTES` are kept, the transfer ends there.
_ANY_LENGTH = 2**62
#: Longest Crawl-delay honoured; a larger one is read as this (one request a minute is slow enough).
MAX_CRAWL_DELAY_S = 60.0
#: Wall-clock limit for fetching one robots.txt, retries included (lower if ``total_deadline_s`` is).
_ROBOTS_DEADLINE_S = 60.0


@dataclass(frozen=True)
class RobotsRules:
    """What one host's robots.txt says. No ``parser`` means no rules (everything allowed), unless
    ``unreachable`` holds why the file could not be read, in which case everything is disallowed.
    ``cannot_connect`` holds the network error when the host itself could not be reached (then ``unreachable``
    holds it too)."""

    robots_url: str
    parser: Protego | None = None
    unreachable: str | None = None
    cannot_connect: str | None = None

    def allows(self, url: str, agent: str) -> bool:
        if self.unreachable is not None:
            return False
        return self.parser is None or self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float | None:
        """The Crawl-delay of the group matching ``agent`` in seconds, at most :data:`MAX_CRAWL_DELAY_S`."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(agent)
        return None if delay is None or delay <= 0 else min(float(delay), MAX_CRAWL_DELAY_S)


def robots_url(url: str) -> str:
    """The robots.txt URL of ``url``'s origin (credentials in the URL are dropped)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.rpartition('@')[2]}/robots.txt"


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: the User-Agent up to the first ``/`` or space."""
    return user_agent.strip().split("/", 1)[0].split()[0] if user_agent.strip() else user_agent


def fetch_robots(
    client: HttpTransport,
    url: str,
    policy: HttpPolicy,
    before_request: Callable[[str, Deadline], None] | None = None,
) -> RobotsRules:
    """Fetch and parse the robots.txt of ``url``'s origin (see the module docstring for what each outcome
    means). ``before_request`` is called before every request, redirect hops included (pacing). Never raises
    a :class:`DownloadError`: every failure is a verdict."""
    target = robots_url(url)
    shown = redact_url(target)
    deadline = Deadline(min(policy.total_deadline_s, _ROBOTS_DEADLINE_S))
    hook = None if before_request is None else (lambda hop: before_request(hop, deadline))
    try:
        body = retry_transient(lambda: _read(client, target, policy, deadline, hook), policy, deadline=deadline)
    except PermanentDownloadError as exc:
        logger.info("No robots.txt rules for %s (%s): everything allowed", shown, exc.reason)
        return RobotsRules(shown)
    except DownloadError as exc:  # transient once retries are spent, or out of time
        network_error = _connect_failure(exc)
        if network_error is not None:
            logger.warning("Cannot connect to %s, every URL of the host fails for this run: %s", shown, network_error)
            return RobotsRules(shown, unreachable=network_error, cannot_connect=network_error)
        logger.warning("robots.txt unreachable, %s disallowed for this run: %s", shown, exc)
        return RobotsRules(shown, unreachable=exc.reason)
    if body is None:
        return RobotsRules(shown)
    parser = Protego.parse(body.decode("utf-8-sig", errors="replace"))
    logger.debug("robots.txt of %s: %d bytes", shown, len(body))
    return RobotsRules(shown, parser=parser)


#: Errors that mean no connection was made at all: the host is unreachable, its robots.txt never answered.
_CONNECT_FAILURES = (ConnectError, socket.gaierror)


def _connect_failure(error: BaseException) -> str | None:
    """``"ConnectError: [Errno 111] Connection refused"`` when ``error`` (or what caused it: the last attempt's
    error behind a deadline) is a failure to connect to the host; ``None`` for any answer or a broken one."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, _CONNECT_FAILURES):
            if isinstance(seen, socket.gaierror) and isinstance(error, DownloadError):
                return error.reason  # "cannot resolve host 'x' (...)", from the address check
            return f"{type(seen).__name__}: {seen}"
        seen = seen.__cause__
    return None


def _read(
    client: HttpTransport,
    target: str,
    policy: HttpPolicy,
    deadline: Deadline,
    before_request: Callable[[str], None] | None,
) -> bytes | None:
    """The first :data:`ROBOTS_MAX_BYTES` of the file's body, or ``None`` for a 304 (nothing was asked)."""
    headers = {"Accept-Encoding": "identity"}  # raw bytes: the cap is on what the server sends, not on inflation
    body = _Prefix(ROBOTS_MAX_BYTES)
    fetched = fetch(
        client,
        target,
        policy,
        deadline,
        headers,
        before_request=before_request,
        receive=lambda _: body,
        max_bytes=_ANY_LENGTH,  # not http.max_bytes: the sink keeps the first ROBOTS_MAX_BYTES and ends the transfer
    )
    return None if fetched.response.status_code == 304 else bytes(body.data)


class _Prefix:
    """A body sink keeping the first ``limit`` bytes, and ending the transfer there."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()

    @property
    def size_bytes(self) -> int:
        return len(self.data)

    def write(self, chunk: bytes) -> None:
        self.data += chunk[: self.limit - len(self.data)]
        if len(self.data) >= self.limit:
            raise BodyComplete

    def finish(self) -> str:
        return ""
