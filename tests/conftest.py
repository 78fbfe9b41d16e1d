"""Fixtures shared by the whole suite: loopback HTTP servers, stores, indexes (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from airnub_prefect_starter.core.http.fetch import HttpTransport, build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.ingestion.downloads import IngestContext
from tests.support.http_server import LoopbackHTTPServer
from tests.support.ports import free_port

pytest_plugins = ["tests.support.datasets", "tests.support.exclusive", "tests.support.s3_server"]

POSTGRES_ENV = "AIRNUB_TEST_POSTGRES_URL"

# Before anything imports prefect: offline, quiet, and never the developer's own ~/.prefect.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="airnub-test-prefect-home-")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_EXTRA_LOGGERS"] = "airnub_prefect_starter"
os.environ["PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"] = "ignore"
os.environ.pop("PREFECT_API_URL", None)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server (temporary SQLite) for the whole session: it takes 10-15 s to start."""
    from prefect.testing import utilities

    # The harness takes its server's port from bind(0) and the server binds it seconds later: another process
    # (a loopback test server, here or in a suite running beside this one) can be handed the same port meanwhile,
    # and the harness then fails on that server's 404 to /api/health. Prefect offers no port option: its port
    # finder is replaced, loudly if it is gone (a Prefect upgrade then shows it here).
    if not callable(getattr(utilities, "_find_available_port", None)):
        raise RuntimeError("prefect.testing.utilities._find_available_port is gone: choose the harness port anew")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utilities, "_find_available_port", free_port)
        with utilities.prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh AIRNUB_DATA_DIR for flows run in this process."""
    path = tmp_path / "data"
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(path))
    return path


@pytest.fixture
def http_server() -> Iterator[LoopbackHTTPServer]:
    with LoopbackHTTPServer() as server:
        yield server


@dataclass
class IngestEnv:
    """A CAS, an index and a way to build contexts with a chosen policy."""

    store: ContentAddressedStore
    index: ManifestIndex
    data_source_name: str = "test_source"
    clients: list[HttpTransport] = field(default_factory=list)

    def ctx(self, client: HttpTransport | None = None, **policy: object) -> IngestContext:
        settings: dict[str, object] = {
            "allow_private_networks": True,
            "retries": 0,
            "retry_delay_s": 0.0,
            "connect_timeout_s": 5.0,
            "read_timeout_s": 5.0,
        }
        settings.update(policy)
        resolved = HttpPolicy.model_validate(settings)
        if client is None:
            client = build_http_client(resolved)
            self.clients.append(client)
        return IngestContext(
            store=self.store,
            index=self.index,
            policy=resolved,
            client=client,
            data_source_name=self.data_source_name,
        )

    def objects(self) -> list[Path]:
        return sorted(p for p in self.store.root.rglob("*") if p.is_file() and ".tmp" not in p.parts)

    def temp_files(self) -> list[Path]:
        return self.store.temp_files()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'index.sqlite3'}"


@pytest.fixture
def ingest_env(tmp_path: Path, sqlite_url: str) -> Iterator[IngestEnv]:
    index = ManifestIndex(sqlite_url)
    env = IngestEnv(store=ContentAddressedStore(tmp_path / "cas"), index=index)
    yield env
    for client in env.clients:
        client.close()
    index.close()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} is not set: PostgreSQL tests must run in CI")
        pytest.skip(f"{POSTGRES_ENV} not set")
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"airnub_test_{uuid.uuid4().hex[:12]}"
    admin_url = sa.engine.make_url(postgres_server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The manifest index URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))
