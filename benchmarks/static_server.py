"""A static HTTP/1.1 file server (keep-alive, Last-Modified, If-Modified-Since -> 304, sendfile) for benchmarks.

Run in its own process so that serving does not compete with the client for the GIL:
``python benchmarks/static_server.py DIR PORT [DELAY_MS]`` (DELAY_MS: a wait before each response, as from a
server far away).
"""

from __future__ import annotations

import functools
import sys
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no Nagle/delayed-ACK stall between headers and body
    delay_s = 0.0  # an origin far away: wait this long before answering each request

    def send_head(self) -> Any:
        if self.delay_s:
            time.sleep(self.delay_s)
        return super().send_head()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def copyfile(self, source: Any, outputfile: Any) -> None:
        """Send the body with sendfile(2): the server costs little CPU, leaving the cores to the client."""
        self.connection.sendfile(source)


def main() -> None:
    directory, port = sys.argv[1], int(sys.argv[2])
    _Handler.delay_s = float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0.0
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Handler, directory=directory))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
