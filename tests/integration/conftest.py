"""The production topology both integration tests run against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.prefect_topology import Topology, prefect_server


@pytest.fixture
def topology(tmp_path: Path, postgres_server_url: str) -> Iterator[Topology]:
    """A Prefect server on a fresh PostgreSQL database, running its services but not the scheduler (no deployment's
    schedule is under test), and a run queued for a concurrency slot retrying every second instead of every 30 s."""
    server_env = {
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    }
    with prefect_server(tmp_path, postgres_server_url, server_env=server_env) as topology:
        yield topology
