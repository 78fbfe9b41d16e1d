"""A real HTTP/1.1 server on 127.0.0.1 whose routes tests script: bodies, statuses, validators, misbehaviour."""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["LoopbackHTTPServer", "Route"]


@dataclass
class Route:
    """One scripted response. ``content_length``: ``"auto"`` = the real length, ``None`` = omit the header and
    close the connection after the body, an int = lie about it. ``close_after`` cuts the body after that many
    bytes; ``response_delay_s`` waits that long before answering at all; ``drip_delay_s`` sends ``drip_bytes``
    at a time with that pause."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | str | None = "auto"
    etag: str | None = None
    last_modified: str | None = None
    close_after: int | None = None
    response_delay_s: float = 0.0
    drip_delay_s: float = 0.0
    drip_bytes: int = 1
    file: Path | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence stderr access log
        return

    def setup(self) -> None:
        super().setup()
        with self.server.owner._lock:
            self.server.owner.connections += 1

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        owner = self.server.owner
        owner._enter()
        self._counted = True
        try:
            self._handle_get()
        finally:
            self._uncount()

    def _uncount(self) -> None:
        """End this request's in-flight count: when its last bytes are handed over, not when this thread next gets
        the GIL (the client may have read them and started its next request by then)."""
        if self._counted:
            self._counted = False
            self.server.owner._leave()

    def _handle_get(self) -> None:
        route = self.server.owner._next_route(self.path, dict(self.headers.items()))
        if route is None:
            self._send_simple(404, b"not found")
            return
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self._send_simple(304, b"", extra={"ETag": route.etag})
            return
        if route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
            self._send_simple(304, b"", extra={"Last-Modified": route.last_modified})
            return
        self._send_route(route)

    def _send_simple(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def _send_route(self, route: Route) -> None:
        time.sleep(route.response_delay_s)
        size = route.file.stat().st_size if route.file else len(route.body)
        self.send_response(route.status)
        for key, value in route.headers.items():
            self.send_header(key, value)
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)
        if route.content_length == "auto":
            self.send_header("Content-Length", str(size))
        elif route.content_length is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(route.content_length))
        self.end_headers()
        try:
            self._write_body(route)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if route.close_after is not None:
            self.close_connection = True

    def _write_body(self, route: Route) -> None:
        sent = 0
        chunks = list(_chunks(route)) if route.file is None else None
        for number, chunk in enumerate(chunks if chunks is not None else _chunks(route)):
            if chunks is not None and number == len(chunks) - 1:
                self._uncount()
            if route.close_after is not None and sent + len(chunk) > route.close_after:
                self.wfile.write(chunk[: route.close_after - sent])
                self.wfile.flush()
                return
            self.wfile.write(chunk)
            sent += len(chunk)
            if route.drip_delay_s:
                self.wfile.flush()
                time.sleep(route.drip_delay_s)


def _chunks(route: Route) -> Iterator[bytes]:
    if route.file is not None:
        with route.file.open("rb") as handle:
            yield from iter(lambda: handle.read(1024 * 1024), b"")
        return
    step = route.drip_bytes if route.drip_delay_s else 1024 * 1024
    for start in range(0, len(route.body), step):
        yield route.body[start : start + step]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LoopbackHTTPServer


class LoopbackHTTPServer:
    """Start with ``with LoopbackHTTPServer() as server:``; script routes with :meth:`serve`."""

    def __init__(self, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = _Server((host, 0), _Handler)
        self.scheme = "http" if ssl_context is None else "https"
        if ssl_context is not None:  # HTTPS: every accepted connection does the TLS handshake first
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._server.owner = self
        self._routes: dict[str, list[Route]] = {}
        self._lock = threading.Lock()
        self.hits: defaultdict[str, int] = defaultdict(int)
        self.request_headers: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
        self.request_paths: defaultdict[str, list[str]] = defaultdict(list)  # with the query string
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0  # TCP connections accepted
        self._thread = threading.Thread(target=self._server.serve_forever, name="loopback-http", daemon=True)

    def __enter__(self) -> LoopbackHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, *routes: Route, **route_fields: object) -> str:
        """Script ``path``: several routes are served in turn (the last one repeats). Returns the URL."""
        scripted = list(routes) or [Route(**route_fields)]  # type: ignore[arg-type]
        with self._lock:
            self._routes[path] = scripted
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.serve(path, Route(status=status, headers={"Location": location}))

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self.hits.clear()
            self.request_headers.clear()
            self.request_paths.clear()

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _next_route(self, full_path: str, headers: dict[str, str]) -> Route | None:
        path = full_path.split("?", 1)[0]
        with self._lock:
            self.hits[path] += 1
            self.request_headers[path].append(headers)
            self.request_paths[path].append(full_path)
            routes = self._routes.get(path)
            if not routes:
                return None
            return routes.pop(0) if len(routes) > 1 else routes[0]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
