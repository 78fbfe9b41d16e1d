"""Ports for servers the tests start in another process (a Prefect API, SeaweedFS, the demo source).

Such a server binds its port seconds after the test chose it. A port from ``bind(("127.0.0.1", 0))`` is one the
kernel hands out again, in the meantime, to any process binding port 0 or connecting: the tests' own HTTP servers
and clients, and those of another suite running beside this one. Under two suites a Prefect test server's port
was taken that way, and its health check got a 404 from a loopback test server. So these ports come from below
the kernel's ephemeral range, where no ``bind(0)`` and no outgoing connection ever lands: only another explicit
choice from the same range can collide, and a port taken meanwhile makes the server fail to start, loudly.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

__all__ = ["free_port"]

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: The lowest port chosen: above the well-known and registered services a developer may run (databases, 8000s).
_LOWEST = 20000


def _choosable() -> range:
    """Ports below the ephemeral range (32768-60999 on Linux by default), from :data:`_LOWEST`."""
    try:
        first_ephemeral = int(_EPHEMERAL_RANGE.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        first_ephemeral = 32768
    return range(_LOWEST, max(first_ephemeral, _LOWEST + 1000))


def free_port(*, also: int = 0) -> int:
    """A port no process is bound to now (so connections to it are refused until a server takes it), outside the
    kernel's ephemeral range; with ``also``, one whose ``port + also`` is free there too (SeaweedFS serves gRPC on
    ``port + 10000``)."""
    choosable = _choosable()
    candidates = range(choosable.start, choosable.stop - also)
    for _ in range(500):
        port = random.choice(candidates)
        if _bindable(port) and (not also or _bindable(port + also)):
            return port
    raise RuntimeError(f"no free port in {candidates.start}-{candidates.stop - 1}")


def _bindable(port: int) -> bool:
    if port > 65535:
        return False
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
