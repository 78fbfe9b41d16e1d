"""The one way a request leaves the package: a GET on libcurl (pycurl), its body pushed into a sink as it arrives.

:class:`HttpTransport` sends exactly one request per :meth:`~HttpTransport.get` and follows no redirect (the
caller, :func:`~airnub_prefect_starter.core.http.fetch.fetch`, checks every hop against the policy). What it
guarantees on every request:

- **The address check on the connection itself.** Unless private networks are allowed, libcurl's open-socket
  callback sees each address it is about to connect to and refuses a forbidden one
  (:func:`~airnub_prefect_starter.core.http.policy.is_forbidden_address`: DNS rebinding, 6to4, NAT64 and Teredo
  included, since the address judged is the one dialled); a host with any forbidden address is refused. With
  ``trust_env`` the connection may go to a proxy, so the caller resolves and checks the target before each hop
  instead.
- **One deadline for the whole transfer** (libcurl's ``TIMEOUT_MS``, set to what is left of the item's
  :class:`~airnub_prefect_starter.core.http.deadline.Deadline`), a connect timeout, and a read timeout (no byte
  for ``read_timeout_s`` ends the transfer).
- **Raw bytes**: no ``Accept-Encoding`` handling, so a gzip bomb is stored as sent, never inflated; no cookie
  engine; http and https only; TLS verified against certifi's bundle.
- **The environment** (proxies from ``http_proxy``/``HTTP_PROXY``, ``https_proxy``, ``all_proxy`` and
  ``no_proxy``, as Python reads them; a CA bundle from ``SSL_CERT_FILE``; ``.netrc`` credentials) only with
  ``trust_env``.

Why libcurl: fetching 1000 x 100 KiB from a loopback server (each body hashed and written to a file) cost 1.33 CPU
s through httpx against 0.52 s through one libcurl multi handle and 0.37 s for curl itself; the project's whole
fetch path on the engine below (address and redirect policy, 8 item threads) cost 1.12 s
(``benchmarks/bench_transport.py``, medians of 3, 2-core VM).

Every transfer of a transport runs on its :class:`~airnub_prefect_starter.core.http.engine.CurlEngine`: one
libcurl multi handle (so one cache of kept-alive connections) and one thread for all the threads that call
:meth:`HttpTransport.get`, which wait while their transfers run.
"""

from __future__ import annotations

import dataclasses
import math
import os
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import certifi
import pycurl

from airnub_prefect_starter.core.errors import (
    DownloadError,
    PermanentDownloadError,
    PolicyViolationError,
    TransientDownloadError,
)
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.engine import CurlEngine
from airnub_prefect_starter.core.http.policy import HttpPolicy, is_forbidden_address

__all__ = [
    "BodyComplete",
    "BodySink",
    "ConnectError",
    "Headers",
    "HttpTransport",
    "ResponseHead",
]

#: libcurl's receive buffer (its largest): fewer reads from the socket for a large body.
RECEIVE_BUFFER = 512 * 1024
#: libcurl hands the write callback at most 16 KiB at a time (CURL_MAX_WRITE_SIZE); the sink is given the body in
#: pieces this large, so hashing and writing a large body cost a Python call per 1 MiB, not per 16 KiB.
SINK_WRITE_SIZE = 1024 * 1024
#: How long past a transfer's own deadline its caller waits for the engine before giving up on it.
_ENGINE_GRACE_S = 30.0
#: A body nobody asked for (a redirect's, an error page's) is read to the end up to this size, so the connection
#: is kept; a larger one closes it.
DRAIN_LIMIT = 64 * 1024


class Headers(Mapping[str, str]):
    """Response header fields by case-insensitive name; a repeated field's values joined by ``", "``."""

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        joined: dict[str, str] = {}
        for name, value in fields:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        self._joined = joined

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)


@dataclass(frozen=True)
class ResponseHead:
    """Status line and header fields of a response."""

    status_code: int
    reason_phrase: str
    headers: Headers
    #: The body was ended early on purpose by its sink (:class:`BodyComplete`): shorter than declared.
    cut_short: bool = False

    @property
    def declared_length(self) -> int | None:
        """Content-Length of the bytes on the wire (raw bytes are stored, so encodings do not change it)."""
        value = self.headers.get("content-length")
        if value is None:
            return None
        try:
            length = int(value.strip())
        except ValueError:
            return None
        return length if length >= 0 else None


class BodySink(Protocol):
    """Where a body is written: it counts and hashes what it is given (the store's ``HashingWriter``, a buffer;
    the transport knows no store)."""

    @property
    def size_bytes(self) -> int: ...
    def write(self, chunk: bytes) -> None: ...
    def finish(self) -> str:
        """Everything written and flushed: the hex SHA-256 of the body."""
        ...


class BodyComplete(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a sink's ``write`` to end a transfer early on purpose (it has all it wants of the body)."""


class ConnectError(OSError):
    """No connection could be made (name not resolved, refused, connect timeout): the cause of the
    :class:`TransientDownloadError` raised for it, whose reason reads ``ConnectError: [Errno 111] Connection
    refused``."""


#: Called with the head of a response once its body starts (or at the end, for a body-less one); returns where
#: the body goes, or ``None`` to discard it (read to the end up to :data:`DRAIN_LIMIT` bytes).
Receive = Callable[[ResponseHead], BodySink | None]


@dataclass
class _Exchange:
    """One request's state, filled by libcurl's callbacks."""

    receive: Receive
    max_bytes: int
    url: str
    shown: str
    status_line: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    head: ResponseHead | None = None
    sink: BodySink | None = None
    received: int = 0
    error: BaseException | None = None
    complete: bool = False
    blocked: str | None = None  # an address the open-socket callback refused
    #: Body chunks received but not yet given to the sink (it is given :data:`SINK_WRITE_SIZE` at a time: one
    #: join per piece; growing a bytearray instead cost 1 s of copying per GiB).
    pending: list[bytes] = field(default_factory=list)
    pending_bytes: int = 0

    def flush(self) -> None:
        """Give the sink the chunks received so far, as one piece."""
        if self.pending and self.sink is not None:
            piece = b"".join(self.pending)
            self.pending.clear()
            self.pending_bytes = 0
            self.sink.write(piece)

    def response_head(self) -> ResponseHead:
        if self.head is None:
            _version, _, rest = self.status_line.partition(" ")
            code, _, reason = rest.strip().partition(" ")
            self.head = ResponseHead(int(code or 0), reason.strip(), Headers(self.fields))
        return self.head


def _reason_for(code: int, message: str) -> str:
    return f"{message} (libcurl error {code})" if message else f"libcurl error {code}"


class HttpTransport:
    """Sends GETs under ``policy`` (see the module docstring) through one :class:`CurlEngine`; any number of
    threads may call :meth:`get` at once. A context manager that ends the engine and frees the handles."""

    def __init__(self, policy: HttpPolicy) -> None:
        self.policy = policy
        self._guard = not policy.allow_private_networks and not policy.trust_env
        self._engine = CurlEngine()
        self._free: list[pycurl.Curl] = []  # handles between transfers (connections live in the engine)
        self._proxies: dict[str, str] | None = None  # the environment's, read on first use (trust_env only)
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            handles, self._free = self._free, []
        self._engine.close()
        for handle in handles:
            handle.close()

    def _handle(self) -> pycurl.Curl:
        with self._lock:
            if self._closed:
                raise RuntimeError("the HTTP transport is closed")
            if self._free:
                return self._free.pop()
        handle = pycurl.Curl()
        policy = self.policy
        handle.setopt(pycurl.NOSIGNAL, 1)
        handle.setopt(pycurl.FOLLOWLOCATION, 0)
        handle.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        # certifi's bundle; with trust_env, SSL_CERT_FILE names another (as httpx and requests read it)
        ca_file = os.environ.get("SSL_CERT_FILE") if policy.trust_env else None
        handle.setopt(pycurl.CAINFO, ca_file or certifi.where())
        handle.setopt(pycurl.BUFFERSIZE, RECEIVE_BUFFER)
        handle.setopt(pycurl.USERAGENT, policy.user_agent)
        handle.setopt(pycurl.LOW_SPEED_LIMIT, 1)
        handle.setopt(pycurl.LOW_SPEED_TIME, max(1, math.ceil(policy.read_timeout_s)))
        handle.setopt(pycurl.PROXY, "")  # never libcurl's own reading of the environment (see _proxy_for)
        if policy.trust_env:  # .netrc credentials for the host asked (the file NETRC names, else ~/.netrc)
            handle.setopt(pycurl.NETRC, pycurl.NETRC_OPTIONAL)
            if os.environ.get("NETRC"):
                handle.setopt(pycurl.NETRC_FILE, os.environ["NETRC"])
        return handle

    def _proxy_for(self, url: str) -> str:
        """The proxy the environment names for ``url`` (``""``: none), read as Python's ``urllib`` and httpx read
        it: ``HTTP_PROXY`` in either case (libcurl ignores the upper-case one for http), ``all_proxy``,
        ``no_proxy``."""
        if self._proxies is None:
            self._proxies = urllib.request.getproxies_environment()
        parts = urlsplit(url)
        proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
        if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
            return ""
        return proxy

    def _release(self, handle: pycurl.Curl) -> None:
        # the callbacks hold the exchange: drop them so a kept handle keeps no body sink alive
        handle.setopt(pycurl.HEADERFUNCTION, _ignore)
        handle.setopt(pycurl.WRITEFUNCTION, _ignore)
        if self._guard:
            handle.setopt(pycurl.OPENSOCKETFUNCTION, _plain_socket)
        with self._lock:
            if not self._closed:
                self._free.append(handle)
                return
        handle.close()

    def get(
        self,
        url: str,
        headers: Mapping[str, str],
        deadline: Deadline,
        shown: str,
        receive: Receive,
        *,
        max_bytes: int | None = None,
    ) -> ResponseHead:
        """GET ``url`` (already checked against the policy; no redirect followed) with ``headers``, and return
        the response's head once its body is in the sink ``receive`` chose (or discarded). ``shown`` (the URL
        redacted) names it in errors. ``receive`` and the sink run on the engine's thread. Raises
        :class:`TransientDownloadError` (network, timeouts, a broken body), :class:`PermanentDownloadError`
        (``max_bytes``, TLS verification), :class:`PolicyViolationError` (a forbidden address) or the deadline's
        error, and whatever ``receive`` or the sink raise. ``max_bytes`` replaces the policy's for this request.
        """
        remaining = deadline.remaining()
        if remaining <= 0:
            raise deadline.error(shown, "before the request")
        exchange = _Exchange(receive, self.policy.max_bytes if max_bytes is None else max_bytes, url, shown)
        lines = _header_lines(headers, shown)
        handle = self._handle()
        handle.setopt(pycurl.URL, url)
        handle.setopt(pycurl.HTTPHEADER, lines)
        if self.policy.trust_env:
            handle.setopt(pycurl.PROXY, self._proxy_for(url))
        handle.setopt(pycurl.TIMEOUT_MS, max(1, math.ceil(remaining * 1000)))
        handle.setopt(pycurl.CONNECTTIMEOUT_MS, max(1, math.ceil(min(self.policy.connect_timeout_s, remaining) * 1000)))
        handle.setopt(pycurl.HEADERFUNCTION, lambda line: _on_header(exchange, line))
        handle.setopt(pycurl.WRITEFUNCTION, lambda chunk: _on_body(exchange, chunk))
        if self._guard:
            handle.setopt(pycurl.OPENSOCKETFUNCTION, lambda purpose, address: _open_socket(exchange, address))
        try:
            code, message = self._engine.perform(handle, wait_s=remaining + _ENGINE_GRACE_S)
        except TimeoutError as exc:  # pragma: no cover - libcurl's own timeout ends every transfer first
            raise TransientDownloadError(shown, str(exc)) from exc
        try:
            if exchange.error is not None:
                raise exchange.error
            if code and not exchange.complete:
                error = _translated(pycurl.error(code, message), handle, url, exchange, deadline, shown)
                raise error from error.__cause__
        finally:
            self._release(handle)
        try:
            exchange.flush()  # what is left of the body
        except BodyComplete:
            exchange.complete = True
        if exchange.sink is None:  # a body-less response: the caller still gets its head, once
            exchange.sink = _started(exchange)
        head = exchange.response_head()
        return dataclasses.replace(head, cut_short=True) if exchange.complete else head


def _translated(
    exc: pycurl.error, handle: pycurl.Curl, url: str, exchange: _Exchange, deadline: Deadline, shown: str
) -> DownloadError:
    """The package's error for libcurl's ``exc`` on ``url``, in the words of the request's stage."""
    code, message = int(exc.args[0]), str(exc.args[1]) if len(exc.args) > 1 else ""
    if exchange.blocked is not None:
        return _blocked_error(exchange)
    received, head = exchange.received, exchange.head
    # a reused connection has no connect time, but a pre-transfer time (a fresh one that never connected, neither)
    connected = bool(exchange.status_line) or handle.getinfo(pycurl.PRETRANSFER_TIME) > 0
    if code == pycurl.E_OPERATION_TIMEDOUT and deadline.expired():
        what = "waiting for the response" if head is None else f"after receiving {received} bytes"
        return deadline.error(shown, what)
    failure: ConnectError | None = None
    if code == pycurl.E_COULDNT_RESOLVE_HOST:
        failure = ConnectError(f"cannot resolve host '{urlsplit(url).hostname}' ({message})")
    elif code == pycurl.E_COULDNT_CONNECT:
        number = handle.getinfo(pycurl.OS_ERRNO)
        failure = ConnectError(number, os.strerror(number)) if number else ConnectError(message)
    elif code == pycurl.E_OPERATION_TIMEDOUT and not connected:
        failure = ConnectError("connect timed out")
    elif code == pycurl.E_SSL_CONNECT_ERROR:
        failure = ConnectError(f"TLS handshake failed ({message})")
    if failure is not None:
        error = TransientDownloadError(shown, f"ConnectError: {failure}")
        error.__cause__ = failure
        return error
    if head is not None and code == pycurl.E_PARTIAL_FILE:
        return TransientDownloadError(
            shown, f"connection closed early: received {received} of {head.declared_length} bytes"
        )
    if code == pycurl.E_OPERATION_TIMEDOUT:
        return TransientDownloadError(shown, f"timed out ({'ReadTimeout' if connected else 'ConnectTimeout'})")
    if head is not None and received:
        declared = head.declared_length
        expected = f" of {declared}" if declared is not None else ""
        return TransientDownloadError(
            shown, f"connection broken: received {received}{expected} bytes ({_reason_for(code, message)})"
        )
    if code in (pycurl.E_PEER_FAILED_VERIFICATION, pycurl.E_SSL_CACERT_BADFILE):
        return PermanentDownloadError(shown, f"TLS verification failed: {_reason_for(code, message)}")
    if code == pycurl.E_UNSUPPORTED_PROTOCOL:
        return PolicyViolationError(shown, f"unsupported protocol ({_reason_for(code, message)})")
    if code == pycurl.E_URL_MALFORMAT:
        return PolicyViolationError(shown, f"invalid URL ({_reason_for(code, message)})")
    return TransientDownloadError(shown, _reason_for(code, message))


def _blocked_error(exchange: _Exchange) -> PolicyViolationError:
    host = urlsplit(exchange.url).hostname
    return PolicyViolationError(
        exchange.shown,
        f"{host} resolves to {exchange.blocked}, a private/loopback/link-local address "
        "(set http.allow_private_networks: true to allow)",
    )


def _ignore(_data: bytes) -> None:
    return None


def _plain_socket(_purpose: int, address: tuple[int, int, int, object]) -> socket.socket:
    family, socktype, protocol, _ = address
    return socket.socket(family, socktype, protocol)


def _header_lines(headers: Mapping[str, str], shown: str) -> list[str]:
    lines = []
    for name, value in headers.items():
        if any(c in name or c in value for c in "\r\n\0") or ":" in name or not name:
            raise PolicyViolationError(shown, f"request header {name!r} is not a valid header field")
        lines.append(f"{name}: {value}" if value else f"{name};")
    return lines


def _on_header(exchange: _Exchange, line: bytes) -> None:
    text = line.decode("latin-1").rstrip("\r\n")
    if text.startswith("HTTP/"):  # a new response (after a 1xx, or a proxy's CONNECT answer): start over
        exchange.status_line, exchange.fields, exchange.head = text, [], None
    elif text and exchange.status_line:
        if text[0] in " \t" and exchange.fields:  # an obsolete folded line continues the previous field
            name, value = exchange.fields[-1]
            exchange.fields[-1] = (name, f"{value} {text.strip()}")
            return
        name, sep, value = text.partition(":")
        if sep:
            exchange.fields.append((name.strip(), value.strip()))


class _Discard:
    """The sink of a body nobody asked for (a redirect's, an error page's): one declared at most
    :data:`DRAIN_LIMIT` bytes long is read to its end, so the connection is kept; any other ends the transfer
    (and its connection) at once."""

    def __init__(self, declared: int | None) -> None:
        self.size_bytes = 0
        self.limit = declared if declared is not None and declared <= DRAIN_LIMIT else 0

    def write(self, chunk: bytes) -> None:
        self.size_bytes += len(chunk)
        if self.size_bytes > self.limit:
            raise BodyComplete

    def finish(self) -> str:
        return ""


def _started(exchange: _Exchange) -> BodySink:
    """The sink of the body beginning now: the caller's, asked for once with the response's head."""
    if exchange.blocked is not None:  # one of the host's addresses is forbidden: refused, as the whole host
        raise _blocked_error(exchange)
    head = exchange.response_head()
    sink = exchange.receive(head)
    return sink if sink is not None else _Discard(head.declared_length)


def _on_body(exchange: _Exchange, chunk: bytes) -> int | None:
    try:
        if exchange.sink is None:
            exchange.sink = _started(exchange)
        if isinstance(exchange.sink, _Discard):  # never buffered: the drain limit counts as the bytes come
            exchange.sink.write(chunk)
            return None
        if exchange.received + len(chunk) > exchange.max_bytes:
            raise PermanentDownloadError(
                exchange.shown, f"body exceeds max_bytes {exchange.max_bytes} (no Content-Length limit)"
            )
        exchange.received += len(chunk)
        exchange.pending.append(chunk)
        exchange.pending_bytes += len(chunk)
        if exchange.pending_bytes >= SINK_WRITE_SIZE:
            exchange.flush()
    except BodyComplete:
        exchange.complete = True
        return 0  # libcurl ends the transfer (and closes its connection)
    except BaseException as exc:  # ends the transfer; get() raises it once libcurl returns
        exchange.error = exc
        return 0
    return None


def _open_socket(exchange: _Exchange, address: tuple[int, int, int, object]) -> socket.socket | int:
    family, socktype, protocol, where = address
    host = str(where[0]) if isinstance(where, tuple) else str(where)
    if family in (socket.AF_INET, socket.AF_INET6) and is_forbidden_address(host):
        exchange.blocked = host
        return pycurl.SOCKET_BAD
    return socket.socket(family, socktype, protocol)
