"""Flow tests share one Prefect test server (see ``prefect_harness``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http_server import LoopbackHTTPServer


@pytest.fixture(autouse=True)
def _prefect(prefect_harness: None) -> None:
    return None


def ingestion_config(server: LoopbackHTTPServer, **sections: Any) -> dict[str, Any]:
    """A stage config for a loopback server: no retry delays, private networks allowed."""
    return {"http": {"allow_private_networks": True, "retry_delay_s": 0, "retries": 2}, **sections}
