"""A running demo source per test, on any free port of 127.0.0.1."""

from __future__ import annotations

import importlib.resources
import socket
from collections.abc import Iterator

import httpx
import pytest

from airnub_prefect_starter.demo.server import DemoSource


def sklearn_bytes(filename: str) -> bytes:
    """The data file exactly as scikit-learn ships it (read through sklearn, not through the demo code)."""
    return (importlib.resources.files("sklearn.datasets") / "data" / filename).read_bytes()


@pytest.fixture
def demo_source() -> Iterator[DemoSource]:
    with DemoSource(port=0) as source:
        yield source


@pytest.fixture
def demo_client(demo_source: DemoSource) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo_source.base_url, timeout=10.0) as client:
        yield client


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])
