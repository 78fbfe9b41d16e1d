"""Policy-checked fetching: redirects followed hop by hop, a total deadline, a byte limit, credentials kept home.

:func:`fetch` is how every request of the package is made (downloads, API polls, pages, followed links,
robots.txt, repair): it follows redirects itself, checking every hop against the
:class:`~airnub_prefect_starter.core.http.policy.HttpPolicy` and its credential rules, and sends each hop through
the one :class:`~airnub_prefect_starter.core.http.transport.HttpTransport`, which streams the final body into
the sink the caller gives (the store's hashing writer; core/http knows no store) under ``max_bytes`` and the
deadline.
"""

from __future__ import annotations

import dataclasses
import email.utils
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

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
from airnub_prefect_starter.core.http.policy import HttpPolicy, checked_url, origin_of
from airnub_prefect_starter.core.http.transport import BodySink, HttpTransport, ResponseHead

__all__ = [
    "BodySink",
    "Deadline",
    "FetchedResponse",
    "HttpTransport",
    "StreamedBody",
    "build_http_client",
    "fetch",
    "filename_from_response",
]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_DISPOSITION_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
#: Request headers that carry credentials: dropped as soon as a redirect leaves the first URL's origin.
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})


def build_http_client(policy: HttpPolicy) -> HttpTransport:
    """The transport every request of a batch (or a command) goes through, under ``policy``."""
    return HttpTransport(policy)


@dataclass(frozen=True)
class StreamedBody:
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class FetchedResponse:
    """The final (non-redirect) response of a fetch, with the URL it came from (as reported: no secret query
    values) and, once the transfer is over, its body as written into the caller's sink (``None``: a 304, or a
    body the caller did not ask for)."""

    response: ResponseHead
    final_url: str
    retrieved_at: datetime
    body: StreamedBody | None = None


#: Called once with the final 2xx response (body not yet read); returns the sink its body is streamed into, or
#: ``None`` to discard it.
ReceiveBody = Callable[[FetchedResponse], BodySink | None]


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


def _raise_for_status(response: ResponseHead, url: str) -> None:
    status = response.status_code
    if status in _TRANSIENT_STATUSES:
        raise TransientDownloadError(
            url,
            f"HTTP {status} {response.reason_phrase}".rstrip(),
            retry_after_s=_retry_after_seconds(response.headers.get("Retry-After")),
        )
    if status >= 400:
        raise PermanentDownloadError(url, f"HTTP {status} {response.reason_phrase}".rstrip())
    if status >= 300 and status != 304:
        raise PermanentDownloadError(url, f"HTTP {status} without a usable Location header")
    if status < 200:
        raise PermanentDownloadError(url, f"HTTP {status}: not a final response")


def _wanted(status: int, headers: Mapping[str, str]) -> bool:
    """Whether a response with ``status`` is the final answer whose body the caller reads."""
    return 200 <= status < 300 and not (status in _REDIRECT_STATUSES and "location" in headers)


def fetch(
    transport: HttpTransport,
    url: str,
    policy: HttpPolicy,
    deadline: Deadline,
    headers: Mapping[str, str] | None = None,
    before_request: Callable[[str], None] | None = None,
    *,
    credentials: Credentials = NO_CREDENTIALS,
    receive: ReceiveBody,
    max_bytes: int | None = None,
) -> FetchedResponse:
    """GET ``url`` and follow redirects under ``policy``; stream the final 2xx body into the sink ``receive``
    returns, enforcing ``max_bytes``, the deadline and the declared Content-Length; return the final response
    with its body's hash and size. Credential headers (``Authorization``, ``Cookie``, ``Proxy-Authorization``)
    and ``credentials``' headers go only to the first URL's origin; ``credentials``' query values only to the
    first request, and never into ``final_url``. ``before_request`` is called with each URL about to be
    requested, redirect hops included (robots.txt and pacing: it may wait, or raise to refuse the URL).

    A 304 is returned as is, without a body (the caller asked conditionally); other non-2xx statuses raise
    :class:`TransientDownloadError` or :class:`PermanentDownloadError`. Errors name ``url`` redacted, redirect
    hops as reported (``credentials`` scrubbed, then redacted). No :class:`DownloadError` leaving this call,
    ``receive``'s own included, carries a value of ``credentials``: one that would is replaced by a scrubbed copy.
    ``max_bytes`` replaces the policy's (robots.txt: its sink cuts the body itself).
    """
    limit = policy.max_bytes if max_bytes is None else max_bytes
    try:
        return _follow(transport, url, policy, deadline, headers, before_request, credentials, receive, limit)
    except DownloadError as exc:
        scrubbed = _scrubbed(exc, credentials)
        if scrubbed is exc:
            raise
        raise scrubbed from None  # the chained errors held a secret too: a traceback must not show them


def _follow(
    transport: HttpTransport,
    url: str,
    policy: HttpPolicy,
    deadline: Deadline,
    headers: Mapping[str, str] | None,
    before_request: Callable[[str], None] | None,
    credentials: Credentials,
    receive: ReceiveBody,
    max_bytes: int,
) -> FetchedResponse:
    """:func:`fetch`'s redirect loop. ``current`` is the URL requested (secret query values included),
    ``reported`` the same URL without them: every message and callback gets ``reported``, never ``current``."""
    shown = redact_url(url)
    current, reported = credentials.request_url(url), url
    visited = {current}
    request_headers = {**(headers or {}), **credentials.headers}
    origin = origin_of(url)
    for hop in range(policy.max_redirects + 1):
        # Without proxies the transport vets every address it connects to; with them, check the target here.
        parsed = checked_url(current, policy, resolve=policy.trust_env, shown=reported)
        if before_request is not None:
            before_request(reported)
        deadline.check(shown, 0)
        retrieved_at = datetime.now(UTC)
        sinks: list[BodySink] = []

        def on_head(
            head: ResponseHead,
            reported: str = reported,
            retrieved_at: datetime = retrieved_at,
            sinks: list[BodySink] = sinks,
        ) -> BodySink | None:
            if not _wanted(head.status_code, head.headers):
                return None
            declared = head.declared_length
            if declared is not None and declared > max_bytes:
                raise PermanentDownloadError(shown, f"Content-Length {declared} exceeds max_bytes {max_bytes}")
            sink = receive(FetchedResponse(head, reported, retrieved_at))
            if sink is not None:
                sinks.append(sink)
            return sink

        response = transport.get(str(parsed), request_headers, deadline, shown, on_head, max_bytes=max_bytes)
        if response.status_code in _REDIRECT_STATUSES and "location" in response.headers:
            try:
                target = str(parsed.join(response.headers["location"]))
            except httpx.InvalidURL as exc:
                problem = credentials.scrub(str(exc))
                raise PermanentDownloadError(shown, f"redirect to an invalid URL at hop {hop + 1} ({problem})") from exc
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
        fetched = FetchedResponse(response, reported, retrieved_at)
        if not sinks:
            return fetched
        return dataclasses.replace(fetched, body=_finished(sinks[0], response, shown))
    raise PermanentDownloadError(shown, f"more than {policy.max_redirects} redirects")


def _finished(sink: BodySink, response: ResponseHead, shown: str) -> StreamedBody:
    """The body as written into ``sink``, once it is whole: as long as declared."""
    received, declared = sink.size_bytes, response.declared_length
    if declared is not None and received != declared and not response.cut_short:
        raise TransientDownloadError(shown, f"connection closed early: received {received} of {declared} bytes")
    return StreamedBody(sha256=sink.finish(), size_bytes=received)


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


def filename_from_response(response: ResponseHead, final_url: str, fallback: str) -> str:
    """A safe file name: Content-Disposition (``filename*`` before ``filename``), else the URL's last path
    segment, else ``fallback``; always passed through :func:`sanitize_filename`."""
    candidate = _disposition_filename(response.headers.get("content-disposition") or "")
    if candidate:
        return sanitize_filename(candidate, fallback=fallback)
    segment = unquote(urlsplit(final_url).path.rsplit("/", 1)[-1])
    return sanitize_filename(segment or fallback, fallback=fallback)
