"""Ports for servers started in another process come from below the kernel's ephemeral range, free when chosen."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.ports import free_port


def first_ephemeral_port() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii").split()[0])


def test_free_ports_lie_below_the_ephemeral_range_and_can_be_bound() -> None:
    ports = {free_port() for _ in range(50)}

    assert all(20000 <= port < first_ephemeral_port() for port in ports)
    for port in ports:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))


def test_a_free_port_pair_keeps_its_twin_below_the_ephemeral_range_too() -> None:
    port = free_port(also=10000)

    assert port + 10000 < first_ephemeral_port()
    with socket.socket() as probe, socket.socket() as twin:
        probe.bind(("127.0.0.1", port))
        twin.bind(("127.0.0.1", port + 10000))
