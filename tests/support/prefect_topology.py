"""A Prefect production topology on this machine, for the integration test and the worker benchmark: a Prefect
server on a fresh PostgreSQL database, CLI commands run from the repository root, long-running workers.

Only the processes started here are ever signalled. Each long-running process gets its own process group, killed
when it does not stop on SIGTERM. A process worker starts each flow run in a session of its own, which that group
does not reach: :meth:`Topology.kill` also kills the process's children, as losing the machine would.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import httpx
import sqlalchemy as sa
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.support.ports import free_port
from tests.support.project_copy import REPO_ROOT

__all__ = [
    "REPO_ROOT",
    "Topology",
    "api_client",
    "fresh_database",
    "prefect_server",
    "runs_of",
    "wait_for",
]

BIN = Path(sys.executable).parent  # the virtualenv's prefect and airnub commands
SERVER_START = ["prefect", "server", "start"]

T = TypeVar("T")


class Topology:
    """The processes of one topology. ``run`` runs a CLI command to completion; ``start`` launches a long-running
    one with a log file; ``stop_all`` ends those in reverse order of start (workers before the server)."""

    def __init__(self, workdir: Path, env: Mapping[str, str]) -> None:
        self.workdir = workdir
        self.env = dict(env)
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.database_url: sa.engine.URL | None = None  # the server's own database, when it has one here
        self.timings: dict[str, float] = {}

    @property
    def api_url(self) -> str:
        return self.env["PREFECT_API_URL"]

    @staticmethod
    def _argv(argv: Sequence[str]) -> list[str]:
        return [str(BIN / argv[0]), *argv[1:]]

    def run(self, argv: Sequence[str], *, timeout: float = 120) -> str:
        """Run a command from the repository root; return its output, or raise showing it."""
        return self.run_at_once([argv], timeout=timeout)[0]

    def run_at_once(self, commands: Sequence[Sequence[str]], *, timeout: float = 120) -> list[str]:
        """Start every command, then wait for all of them; their outputs, or raise showing the first failure."""
        started = time.monotonic()
        children = [
            (
                argv,
                subprocess.Popen(
                    self._argv(argv), cwd=REPO_ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                ),
            )
            for argv in commands
        ]
        outputs = []
        for argv, child in children:
            output = child.communicate(timeout=timeout)[0].decode(errors="replace")
            if child.returncode != 0:
                raise AssertionError(f"{shlex.join(argv)} exited {child.returncode}:\n{output}")
            outputs.append(output)
        self.timings[" + ".join(shlex.join(argv[:4]) for argv in commands)] = time.monotonic() - started
        return outputs

    def run_in(self, directory: Path, argv: Sequence[str], *, timeout: float = 120) -> str:
        """Run a command from ``directory`` (a project of its own: ``prefect deploy`` reads its prefect.yaml)."""
        child = subprocess.run(
            self._argv(argv),
            cwd=directory,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
        output = child.stdout.decode(errors="replace")
        if child.returncode != 0:
            raise AssertionError(f"{shlex.join(argv)} exited {child.returncode}:\n{output}")
        return output

    def start(self, name: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> None:
        with (self.workdir / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                self._argv(argv),
                cwd=self.workdir,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append((name, process))

    def stop(self, name: str, timeout: float = 30) -> None:
        """SIGTERM (workers and the server shut down cleanly on it), then SIGKILL to its process group."""
        index = next(i for i, (n, _) in enumerate(self.processes) if n == name)
        _, process = self.processes.pop(index)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)

    def kill(self, name: str) -> list[int]:
        """SIGKILL a long-running process with its process group and its children, at once, as when the machine
        under them is lost: a process worker starts each flow run in a session of its own, which its group does
        not reach. Returns the children's pids (only children of this topology's own process are signalled)."""
        index = next(i for i, (n, _) in enumerate(self.processes) if n == name)
        _, process = self.processes.pop(index)
        children = _children(process.pid)
        os.killpg(process.pid, signal.SIGKILL)
        for pid in children:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)
        return children

    def stop_all(self) -> None:
        while self.processes:
            self.stop(self.processes[-1][0])

    def log(self, name: str, tail: int = 60) -> str:
        path = self.workdir / f"{name}.log"
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
        return f"--- {name}.log (last {tail} lines) ---\n" + "\n".join(lines[-tail:])

    def logs(self) -> str:
        return "\n".join(self.log(name) for name, _ in self.processes)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str, diagnostics: Callable[[], str]) -> T:
    """Poll ``check`` every half second until it returns something other than ``None``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}\n{diagnostics()}")
        time.sleep(0.5)


@contextmanager
def fresh_database(server_url: str, *extensions: str) -> Iterator[sa.engine.URL]:
    """A new, empty database on the PostgreSQL server of ``server_url`` (with ``extensions``), dropped afterwards."""
    admin_url = sa.engine.make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"airnub_topology_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name)
    try:
        if extensions:
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for extension in extensions:
                    conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {extension}")
            engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def prefect_server(
    workdir: Path,
    postgres_server_url: str,
    *,
    server_env: Mapping[str, str] | None = None,
    startup_timeout: float = 120,
) -> Iterator[Topology]:
    """``prefect server start`` on a fresh database (with pg_trgm), healthy; its :class:`Topology` has
    ``PREFECT_API_URL`` pointing at it and a fresh ``PREFECT_HOME``. On exit every process started through the
    topology is stopped (workers first), the database dropped, and the timings printed."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AIRNUB_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PREFECT_HOME=str(workdir / "prefect-home"),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_EXTRA_LOGGERS="airnub_prefect_starter",
    )
    with fresh_database(postgres_server_url, "pg_trgm") as database:
        topology = Topology(workdir, env)
        topology.database_url = database
        connection_url = database.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
        try:
            started = time.monotonic()
            topology.start(
                "server",
                [*SERVER_START, "--host", "127.0.0.1", "--port", str(port)],
                env={"PREFECT_SERVER_DATABASE_CONNECTION_URL": connection_url, **(server_env or {})},
            )
            wait_for(
                lambda: True if _healthy(topology.api_url) else None,
                timeout=startup_timeout,
                what=f"the Prefect server at {topology.api_url}",
                diagnostics=lambda: topology.log("server"),
            )
            topology.timings["server healthy"] = time.monotonic() - started
            yield topology
        finally:
            topology.stop_all()
            print(f"topology timings (s): {json.dumps(topology.timings, indent=1)}")


@contextmanager
def api_client(api_url: str) -> Iterator[SyncPrefectClient]:
    """A client of ``api_url``, whatever Prefect settings this process has (e.g. a test harness)."""
    with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        yield client


def runs_of(client: SyncPrefectClient, deployment: str) -> list[FlowRun]:
    return client.read_flow_runs(deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment])))
