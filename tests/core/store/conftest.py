"""Fixtures of the store tests: a data dir and a manifest index whose storage bases are recorded against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airnub_prefect_starter.core.store.index import ManifestIndex


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def index(index_url: str, data: Path) -> Iterator[ManifestIndex]:
    """The index (SQLite, then PostgreSQL) with ``data`` as its root."""
    opened = ManifestIndex(index_url, root=data)
    yield opened
    opened.close()
