"""HTTP client factory and policy-checked fetching: redirects hop by hop, a total deadline, a byte limit.

httpx has timeouts per operation but no deadline for a whole download, and follows redirects without asking
whether each hop is allowed. :func:`open_response` follows redirects itself, checking every hop against the
:class:`~airnub_prefect_starter.core.http.policy.HttpPolicy`, and :func:`stream_body` enforces the deadline
and ``max_bytes`` while it hashes. Every httpx error is translated into the package's exception tree here.

Each GET goes straight to the client's httpcore connection pool (:class:`FetchClient`), the pool httpx itself
would use: the same network backend (address checks, deadline), timeouts, headers and cookies, without httpx's
per-request machinery (request building and merging, auth and redirect generators, cookie jar round trips). That
machinery cost 0.3-0.4 ms of CPU per request on a 2-core machine, a quarter of a 100 KiB download's HTTP work
(``benchmarks/profile_fetch_path.py``). The response is still an :class:`httpx.Response`, its errors httpx's.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import httpcore
import httpx

from airnub_prefect_starter.common.utils import redact_url, sanitize_filename
from airnub_prefect_starter.core.errors import (
    DownloadError,
    PermanentDownloadError,
    PolicyViolationError,
    TransientDownloadError,
)
from airnub_prefect_starter.core.http.auth import NO_CREDENTIALS, Credentials
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.policy import (
    BlockedAddressError,
    HttpPolicy,
    PolicyNetworkBackend,
    checked_url,
    origin_of,
)

__all__ = [
    "BodySink",
    "Deadline",
    "FetchClient",
    "FetchedResponse",
    "StreamedBody",
    "build_http_client",
    "filename_from_response",
    "open_response",
    "stream_body",
]

_DRAIN_LIMIT = 64 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_DISPOSITION_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class FetchClient(httpx.Client):
    """An :class:`httpx.Client` that hands :func:`open_response` its httpcore connection pool, to send GETs to
    directly. ``pool`` is ``None`` when requests must go through httpx (environment proxies)."""

    def __init__(self, pool: httpcore.ConnectionPool | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool = pool


def build_http_client(policy: HttpPolicy) -> FetchClient:
    """An httpx client that follows no redirects by itself and, unless private networks are allowed,
    connects only to public addresses (checked on the address actually dialled)."""
    timeout = httpx.Timeout(
        connect=policy.connect_timeout_s,
        read=policy.read_timeout_s,
        write=policy.read_timeout_s,
        pool=policy.total_deadline_s,
    )
    # one client per batch, whose items run one after another: a few idle connections per host are plenty
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=2 * policy.per_host_limit)
    headers = {"User-Agent": policy.user_agent}
    if policy.trust_env:  # environment proxies apply; open_response resolves and checks the target on every hop
        return FetchClient(
            None, timeout=timeout, limits=limits, headers=headers, trust_env=True, follow_redirects=False
        )
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    # httpx exposes no network_backend option; the pool it builds is replaced by an equivalent one whose
    # backend (a documented httpcore extension point) reads in large pieces and, unless private networks are
    # allowed, vets each resolved address.
    transport._pool = pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PolicyNetworkBackend(guard=not policy.allow_private_networks),
    )
    return FetchClient(
        pool,
        timeout=timeout,
        limits=limits,
        headers=headers,
        trust_env=False,
        follow_redirects=False,
        transport=transport,
    )


@dataclass(frozen=True)
class FetchedResponse:
    """The final (non-redirect) response of a fetch, with the URL it came from (``final_url``: a response sent
    straight to the pool has no ``response.request``, so no ``response.url``)."""

    response: httpx.Response
    final_url: str
    retrieved_at: datetime


@dataclass(frozen=True)
class StreamedBody:
    sha256: str
    size_bytes: int


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _raise_for_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status in _TRANSIENT_STATUSES:
        raise TransientDownloadError(
            url,
            f"HTTP {status} {response.reason_phrase}",
            retry_after_s=_retry_after_seconds(response.headers.get("Retry-After")),
        )
    if status >= 400:
        raise PermanentDownloadError(url, f"HTTP {status} {response.reason_phrase}")
    if status >= 300 and status != 304:
        raise PermanentDownloadError(url, f"HTTP {status} without a usable Location header")


def _translate(exc: Exception, url: str, deadline: Deadline) -> Exception:
    """The package error for an httpx/transport error raised while sending a request."""
    if isinstance(exc, httpx.TimeoutException) and deadline.expired():
        return deadline.error(url, "waiting for the response")
    if isinstance(exc, BlockedAddressError):
        return PolicyViolationError(url, f"{exc} (set http.allow_private_networks: true to allow)")
    if isinstance(exc, httpx.TimeoutException):
        return TransientDownloadError(url, f"timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return PolicyViolationError(url, f"unsupported protocol ({exc})")
    if isinstance(exc, httpx.TransportError):
        return TransientDownloadError(url, f"{type(exc).__name__}: {exc}")
    return PermanentDownloadError(url, f"{type(exc).__name__}: {exc}")


@contextmanager
def open_response(
    client: httpx.Client,
    url: str,
    policy: HttpPolicy,
    deadline: Deadline,
    headers: Mapping[str, str] | None = None,
    before_request: Callable[[str], None] | None = None,
    *,
    credentials: Credentials = NO_CREDENTIALS,
) -> Iterator[FetchedResponse]:
    """Send GET ``url`` and follow redirects under ``policy``; yield the final response, body unread. Credential
    headers (``Authorization``, ``Cookie``, ``Proxy-Authorization``) and ``credentials``' headers go only to the
    first URL's origin; ``credentials``' query values only to the first request, and never into ``final_url``.
    ``before_request`` is called with each URL about to be requested, redirect hops included (robots.txt and
    pacing: it may wait, or raise to refuse the URL).

    A 304 is yielded as is (the caller asked conditionally); other non-2xx statuses raise
    :class:`TransientDownloadError` or :class:`PermanentDownloadError`. Errors name ``url`` redacted, redirect
    hops as reported (``credentials`` scrubbed, then redacted). No :class:`DownloadError` leaving this block,
    the caller's own included, carries a value of ``credentials``: one that would is replaced by a scrubbed copy.
    """
    try:
        with _follow(client, url, policy, deadline, headers, before_request, credentials) as fetched:
            yield fetched
    except DownloadError as exc:
        scrubbed = _scrubbed(exc, credentials)
        if scrubbed is exc:
            raise
        raise scrubbed from None  # the chained errors held a secret too: a traceback must not show them


@contextmanager
def _follow(
    client: httpx.Client,
    url: str,
    policy: HttpPolicy,
    deadline: Deadline,
    headers: Mapping[str, str] | None,
    before_request: Callable[[str], None] | None,
    credentials: Credentials,
) -> Iterator[FetchedResponse]:
    """:func:`open_response`'s redirect loop. ``current`` is the URL requested (secret query values included),
    ``reported`` the same URL without them: every message and callback gets ``reported``, never ``current``."""
    shown = redact_url(url)
    current, reported = credentials.request_url(url), url
    visited = {current}
    request_headers = {**(headers or {}), **credentials.headers}
    origin = origin_of(url)
    for hop in range(policy.max_redirects + 1):
        # Without proxies the client's backend vets every address it dials; with them, check the target here.
        parsed = checked_url(current, policy, resolve=policy.trust_env, shown=reported)
        if before_request is not None:
            before_request(reported)
        deadline.check(shown, 0)
        retrieved_at = datetime.now(UTC)
        try:
            with deadline.active():
                response = _send(client, parsed, request_headers, _timeouts(policy, deadline))
        except (httpx.HTTPError, httpx.InvalidURL, BlockedAddressError) as exc:
            raise _translate(exc, shown, deadline) from exc
        try:
            if response.status_code in _REDIRECT_STATUSES and "location" in response.headers:
                try:
                    target = str(parsed.join(response.headers["location"]))
                except httpx.InvalidURL as exc:
                    problem = credentials.scrub(str(exc))
                    raise PermanentDownloadError(
                        shown, f"redirect to an invalid URL at hop {hop + 1} ({problem})"
                    ) from exc
                scrubbed_target = credentials.scrub(target)
                if target in visited:
                    raise PermanentDownloadError(
                        shown, f"redirect loop at hop {hop + 1} ({credentials.scrub(redact_url(scrubbed_target))})"
                    )
                if urlsplit(target).scheme not in ("http", "https"):
                    raise PolicyViolationError(
                        shown, f"redirect to scheme '{urlsplit(target).scheme}' refused (http and https only)"
                    )
                visited.add(target)
                current, reported = target, scrubbed_target
                if origin_of(target) != origin:  # credentials never follow a redirect to another origin (as curl)
                    request_headers = {
                        k: v
                        for k, v in request_headers.items()
                        if k.lower() not in _CREDENTIALS and k not in credentials.headers
                    }
                continue
            _raise_for_status(response, shown)
            with deadline.active():  # the body is read inside this block: each read ends by the deadline too
                yield FetchedResponse(response=response, final_url=reported, retrieved_at=retrieved_at)
            return
        finally:
            _release(response)
    raise PermanentDownloadError(shown, f"more than {policy.max_redirects} redirects")


def _scrubbed(error: DownloadError, credentials: Credentials) -> DownloadError:
    """``error`` itself when neither it nor an error chained to it shows a value of ``credentials``; else a copy
    of the same type with the values replaced (and no chain)."""
    text, seen = "", set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # the chain a traceback shows
        seen.add(id(current))
        text += f"{current}\n{getattr(current, 'url', '')}\n{getattr(current, 'reason', '')}\n"
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    if credentials.scrub(text) == text:
        return error
    return type(error)(credentials.scrub(error.url), credentials.scrub(error.reason), retry_after_s=error.retry_after_s)


def _send(client: httpx.Client, url: httpx.URL, headers: Mapping[str, str], timeout: httpx.Timeout) -> httpx.Response:
    """GET ``url`` with the client's headers and ``headers`` (by name, as httpx merges them); the body is unread.
    Sent straight to a :class:`FetchClient`'s pool unless httpx's own path is needed: proxies, or credentials in
    the URL (httpx turns them into basic auth)."""
    pool = client.pool if isinstance(client, FetchClient) else None
    if pool is None or url.userinfo:
        return client.send(client.build_request("GET", url, headers=headers, timeout=timeout), stream=True)
    if client.is_closed:
        raise RuntimeError("Cannot send a request, as the client has been closed.")
    fields = httpx.Headers(client.headers)
    fields.update(headers)
    if client.cookies:  # cookies servers set earlier go back to them, as from the client's own send
        with_cookies = httpx.Request("GET", url, headers=fields)
        client.cookies.set_cookie_header(with_cookies)
        wire = with_cookies.headers.raw
    else:
        wire = fields.raw if "host" in fields else [(b"Host", url.netloc), *fields.raw]
    request = httpcore.Request(
        b"GET",
        httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
        headers=wire,
        extensions={"timeout": timeout.as_dict()},
    )
    try:
        sent = pool.handle_request(request)
    except _HTTPCORE_ERRORS as exc:
        raise _as_httpx_error(exc) from exc
    response = httpx.Response(sent.status, headers=sent.headers, stream=_BodyStream(sent), extensions=sent.extensions)
    if "set-cookie" in response.headers:
        response.request = httpx.Request("GET", url, headers=wire)
        client.cookies.extract_cookies(response)
    return response


#: httpcore's errors and the httpx errors they stand for, most specific first: what httpx's own transport raises.
_HTTPX_EQUIVALENT: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)
_HTTPCORE_ERRORS = tuple(theirs for theirs, _ in _HTTPX_EQUIVALENT)


def _as_httpx_error(exc: Exception) -> httpx.HTTPError:
    return next(ours for theirs, ours in _HTTPX_EQUIVALENT if isinstance(exc, theirs))(str(exc))


class _BodyStream(httpx.SyncByteStream):
    """The body of a response from the pool, raising httpx's errors (callers read it through ``iter_raw``)."""

    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_stream()
        except _HTTPCORE_ERRORS as exc:
            raise _as_httpx_error(exc) from exc

    def close(self) -> None:
        try:
            self._response.close()
        except _HTTPCORE_ERRORS as exc:
            raise _as_httpx_error(exc) from exc


def _timeouts(policy: HttpPolicy, deadline: Deadline) -> httpx.Timeout:
    """The policy's per-operation timeouts, none longer than what is left of the deadline. With the policy's
    network backend every socket operation is bounded again as it starts; this also covers proxies and the pool."""
    read = deadline.timeout(policy.read_timeout_s)
    connect = deadline.timeout(policy.connect_timeout_s)
    return httpx.Timeout(connect=connect, read=read, write=read, pool=deadline.timeout(policy.total_deadline_s))


#: Request headers that carry credentials: dropped as soon as a redirect leaves the first URL's origin.
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})


def _release(response: httpx.Response) -> None:
    """Return the connection to the pool when possible: an unread body of at most :data:`_DRAIN_LIMIT`
    bytes (304, redirects, error pages) is read first, since httpcore drops a connection whose response was
    not read to the end. A body already being streamed, or a large one, just closes the connection."""
    try:
        length = _declared_length(response)
        small = response.status_code in (204, 304) or (length is not None and length <= _DRAIN_LIMIT)
        if small and not response.is_stream_consumed:
            for _chunk in response.iter_raw():
                pass
    except httpx.HTTPError:
        pass  # the connection is unusable; close() below discards it, and the caller already has its answer
    finally:
        response.close()


class BodySink(Protocol):
    """Where :func:`stream_body` writes a body: it counts and hashes what it is given (the store's
    ``HashingWriter``; the transport knows no store)."""

    @property
    def size_bytes(self) -> int: ...
    def write(self, chunk: bytes) -> None: ...
    def finish(self) -> str:
        """Everything written and flushed: the hex SHA-256 of the body."""
        ...


def stream_body(
    fetched: FetchedResponse, writer: BodySink, policy: HttpPolicy, deadline: Deadline, url: str
) -> StreamedBody:
    """Copy the raw (undecoded) body into ``writer``; enforce ``max_bytes``, the deadline and the declared
    Content-Length. ``url`` is the redacted URL used in messages. The body is whole in ``writer`` on return."""
    response = fetched.response
    declared = _declared_length(response)
    if declared is not None and declared > policy.max_bytes:
        raise PermanentDownloadError(url, f"Content-Length {declared} exceeds max_bytes {policy.max_bytes}")
    try:
        for chunk in response.iter_raw():
            if writer.size_bytes + len(chunk) > policy.max_bytes:
                raise PermanentDownloadError(
                    url, f"body exceeds max_bytes {policy.max_bytes} (no Content-Length limit)"
                )
            writer.write(chunk)
            deadline.check(url, writer.size_bytes)
    except httpx.HTTPError as exc:
        if isinstance(exc, httpx.TimeoutException) and deadline.expired():
            raise deadline.error(url, f"after receiving {writer.size_bytes} bytes") from exc
        expected = f" of {declared}" if declared is not None else ""
        raise TransientDownloadError(
            url, f"connection broken: received {writer.size_bytes}{expected} bytes ({type(exc).__name__})"
        ) from exc
    received = writer.size_bytes
    if declared is not None and received != declared:
        raise TransientDownloadError(url, f"connection closed early: received {received} of {declared} bytes")
    sha256 = writer.finish()
    return StreamedBody(sha256=sha256, size_bytes=received)


def _declared_length(response: httpx.Response) -> int | None:
    """Content-Length of the bytes on the wire (raw bytes are stored, so encodings do not change it)."""
    value = response.headers.get("content-length")
    if value is None:
        return None
    try:
        length = int(value.strip())
    except ValueError:
        return None
    return length if length >= 0 else None


def _disposition_filename(value: str) -> str | None:
    """The file name of a Content-Disposition value: ``filename*`` (RFC 5987/6266) wins over ``filename``."""
    params: dict[str, str] = {}
    for key, raw in _DISPOSITION_PARAM.findall(value):
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params.setdefault(key.lower(), raw)
    extended = params.get("filename*")
    if extended and extended.count("'") >= 2:
        charset, _language, encoded = extended.split("'", 2)
        try:
            return unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass  # an undecodable filename* falls back to the plain filename
    return params.get("filename")


def filename_from_response(response: httpx.Response, final_url: str, fallback: str) -> str:
    """A safe file name: Content-Disposition (``filename*`` before ``filename``), else the URL's last path
    segment, else ``fallback``; always passed through :func:`sanitize_filename`."""
    candidate = _disposition_filename(response.headers.get("content-disposition") or "")
    if candidate:
        return sanitize_filename(candidate, fallback=fallback)
    segment = unquote(urlsplit(final_url).path.rsplit("/", 1)[-1])
    return sanitize_filename(segment or fallback, fallback=fallback)
