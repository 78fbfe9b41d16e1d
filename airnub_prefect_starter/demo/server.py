"""The offline demo source: a threaded HTTP/1.1 server on 127.0.0.1 serving :mod:`.catalog`.

Every resource answers with a strong ``ETag`` (the quoted SHA-256 of its body) and one fixed ``Last-Modified``,
and honours ``If-None-Match`` / ``If-Modified-Since`` with ``304 Not Modified``, so a second ingestion run sees
everything unchanged. ``GET`` and ``HEAD`` only; unknown paths are ``404``.

::

    with DemoSource(port=0) as source:        # 0 = any free port; default DEFAULT_DEMO_PORT (18765)
        httpx.get(source.url("/files/iris.csv"))
        source.hits["/files/iris.csv"]        # -> 1
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import socketserver
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC
from email.message import Message
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.demo.catalog import LAST_MODIFIED, DemoResource, load_demo_catalog

__all__ = [
    "DEFAULT_DEMO_PORT",
    "DEMO_HOST",
    "DEMO_PORT_ENV",
    "DemoPortInUseError",
    "DemoSource",
    "demo_port_from_env",
]

logger = logging.getLogger(__name__)

DEMO_HOST = "127.0.0.1"
DEFAULT_DEMO_PORT = 18765
DEMO_PORT_ENV = "AIRNUB_DEMO_PORT"

_LAST_MODIFIED_AT = parsedate_to_datetime(LAST_MODIFIED)
_ADDRESS_IN_USE = frozenset({errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)})
_NOT_FOUND_TYPE = "text/plain; charset=utf-8"


class DemoPortInUseError(OSError):
    """The demo source cannot listen on ``host:port`` because something else already does."""

    def __init__(self, port: int, host: str = DEMO_HOST) -> None:
        self.port = port
        self.host = host
        self.message = (
            f"cannot start the demo source on {host}:{port}: port {port} is already in use; stop the process "
            f"listening there or set {DEMO_PORT_ENV} to a free port (0 picks any free port)"
        )
        super().__init__(errno.EADDRINUSE, self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.port, self.host)


def demo_port_from_env(environ: Mapping[str, str] | None = None) -> int:
    """``$AIRNUB_DEMO_PORT`` (read now, not at import) or :data:`DEFAULT_DEMO_PORT`; ``0`` means any free port."""
    raw = (os.environ if environ is None else environ).get(DEMO_PORT_ENV, "").strip()
    if not raw:
        return DEFAULT_DEMO_PORT
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{DEMO_PORT_ENV}: must be a port number from 0 to 65535, got {raw!r}")
    return int(raw)


def _not_modified(headers: Message, resource: DemoResource) -> bool:
    """RFC 9110 section 13.2.2: ``If-None-Match`` (weak comparison) wins; else ``If-Modified-Since``."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or resource.etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # an invalid date is ignored (RFC 9110 section 13.1.3)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return _LAST_MODIFIED_AT <= since


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AirnubDemoSource/1.0"
    timeout = 30  # seconds an idle keep-alive connection may hold a thread
    server: _Server

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server naming
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        self.server.count_hit(path)
        resource = self.server.catalog.get(path)
        if resource is None:
            body = f"404 Not Found: {path}\nStart at /pages/index.html or /api/v1/datasets\n".encode()
            self._send(404, body, _NOT_FOUND_TYPE, send_body=send_body)
        elif _not_modified(self.headers, resource):
            self._send(304, b"", None, send_body=False, resource=resource)
        else:
            self._send(200, resource.body, resource.content_type, send_body=send_body, resource=resource)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        *,
        send_body: bool,
        resource: DemoResource | None = None,
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        if resource is not None:
            self.send_header("ETag", resource.etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if send_body and body:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = sys.platform != "win32"  # on Windows SO_REUSEADDR would let two servers share a port

    def __init__(self, port: int, catalog: Mapping[str, DemoResource], count_hit: Callable[[str], None]) -> None:
        self.catalog = catalog
        self.count_hit = count_hit
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        super().__init__((DEMO_HOST, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS look-up that can hang offline; skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name = DEMO_HOST
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handler threads idling on keep-alive connections so they exit now, not at their timeout."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler

    def handle_error(self, request: Any, client_address: Any) -> None:
        level = logging.DEBUG if isinstance(sys.exc_info()[1], ConnectionError) else logging.WARNING
        logger.log(level, "Demo source: error while serving %s", client_address, exc_info=True)


class DemoSource:
    """The demo HTTP source on ``127.0.0.1:port`` (``port=0``: any free port), running in a daemon thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. Starting on a taken port raises
    :class:`DemoPortInUseError`; without scikit-learn it raises ``DemoDataError``.
    """

    def __init__(self, port: int = DEFAULT_DEMO_PORT) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be from 0 to 65535, got {port}")
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else f"port {self._requested_port}, stopped"
        return f"DemoSource({where})"

    def __enter__(self) -> DemoSource:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> DemoSource:
        """Bind and serve in the background; returns ``self``."""
        if self._server is not None:
            raise RuntimeError(f"{self!r} is already running")
        catalog = load_demo_catalog()
        try:
            server = _Server(self._requested_port, catalog, self._count_hit)
        except OSError as exc:
            if exc.errno in _ADDRESS_IN_USE or getattr(exc, "winerror", None) in _ADDRESS_IN_USE:
                raise DemoPortInUseError(self._requested_port) from exc
            raise
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="airnub-demo-source", daemon=True
        )
        self._thread.start()
        logger.info("Demo source serving %d resources at %s", len(catalog), self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (does nothing if not running)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        logger.debug("Demo source on port %d stopped", server.server_port)

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        """The port actually bound (the free port picked for ``port=0``)."""
        return self._running_server().server_port

    @property
    def base_url(self) -> str:
        return f"http://{DEMO_HOST}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (``/files/iris.csv``) on this source."""
        return f"{self.base_url}/{path.lstrip('/')}"

    @property
    def hits(self) -> dict[str, int]:
        """Requests received per path (query strings dropped; 304s, 404s and HEADs included) since this
        object was created, as a snapshot; still readable after :meth:`stop`."""
        with self._hits_lock:
            return dict(self._hits)

    def _count_hit(self, path: str) -> None:
        with self._hits_lock:
            self._hits[path] += 1

    def _running_server(self) -> _Server:
        if self._server is None:
            raise RuntimeError(f"{self!r} is not running; use 'with DemoSource(...) as source:' or start()")
        return self._server
