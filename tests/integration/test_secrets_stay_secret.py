"""No secret reaches Prefect's database, the data dir or the output: a run with a secret in a URL's userinfo, in
a secret query value, in a Secret block sent as a Bearer token and in one sent as a query value under a key that
does not look secret (on downloads whose server loops a redirect), and the downloads stored on object storage
(SeaweedFS) with the keys of a prefect-aws ``AwsCredentials`` block alone (no AWS variables), then a search of
everything it left behind, the bucket included (0 hits), on Prefect's SQLite database (the default) and on a
Prefect server's PostgreSQL tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from airnub_prefect_starter.core.store.object_store import Bucket, S3Credentials
from tests.support.http_server import LoopbackHTTPServer
from tests.support.prefect_topology import prefect_server
from tests.support.project_copy import copy_project, run_python
from tests.support.s3_server import S3Server

pytestmark = pytest.mark.slow

#: The last one is the secret key of the ``AwsCredentials`` block the downloads are stored with (SeaweedFS's).
SENTINELS = ("UserS3ntinel", "QueryS3ntinel", "BlockS3ntinel", "LoopS3ntinel", "airnub-test-secret-0123456789")
SAVE_BLOCK = (
    "from prefect.blocks.system import Secret; Secret(value='BlockS3ntinel').save('leak-token', overwrite=True); "
    "Secret(value='LoopS3ntinel').save('leak-query', overwrite=True); "
    "from prefect_aws import AwsClientParameters, AwsCredentials; AwsCredentials(aws_access_key_id='{key_id}', "
    "aws_secret_access_key='{secret}', region_name='us-east-1', "
    "aws_client_parameters=AwsClientParameters(endpoint_url='{endpoint}')).save('leak-storage', overwrite=True)"
)
#: Redirect loops (an empty Location, one to a fragment) on downloads sending the 'leak-query' block as ``x``.
LOOPS = {"/loop-empty": "", "/loop-fragment": "#x"}
AIRNUB = "from airnub_prefect_starter.cli.main import app; app()"


def _config(path: Path, server: LoopbackHTTPServer, downloads: str) -> Path:
    base = server.url("")
    userinfo = base.replace("http://", "http://alice:UserS3ntinel@")
    config = {
        "http": {"allow_private_networks": True, "retries": 0},
        "scheduled_file_downloads": {
            "data_source_name": "leak_files",
            "local_artifacts_storage_base": downloads,
            "files_to_acquire": [
                {"name": "ok", "url": f"{userinfo}/ok.csv?token=QueryS3ntinel&page=1"},
                {"name": "gone", "url": f"{base}/gone.csv?password=QueryS3ntinel"},  # fails: its error is recorded
                *(
                    {"name": loop.strip("/"), "url": f"{base}{loop}?page=1", "auth": {"query": {"x": "leak-query"}}}
                    for loop in LOOPS
                ),
            ],
        },
        "public_api_data": {
            "data_source_name": "leak_api",
            "apis_to_poll": [{"name": "api", "url": f"{base}/api.json", "auth": {"bearer_secret_block": "leak-token"}}],
        },
    }
    server.serve("/ok.csv", body=b"a\n1\n")
    for loop, location in LOOPS.items():
        server.serve(loop, status=302, headers={"Location": location})
    server.serve("/api.json", body=b'{"items": [1, 2]}', headers={"Content-Type": "application/json"})
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def _run(tmp_path: Path, server: LoopbackHTTPServer, s3: S3Server, **env: str) -> tuple[str, dict[str, bytes]]:
    """Save the blocks, then `airnub run -v` with the config, the downloads going to the bucket with the
    ``AwsCredentials`` block's keys (no AWS variable set); the whole output of both, and the bucket's objects."""
    root = copy_project(tmp_path / "project")
    downloads = s3.url(f"leak-{tmp_path.name}/downloads")
    config = _config(tmp_path / "ingestion.json", server, downloads)
    save_blocks = SAVE_BLOCK.format(key_id=s3.access_key, secret=s3.secret_key, endpoint=s3.endpoint)
    env = {
        "AIRNUB_DATA_DIR": str(tmp_path / "data"),
        "AIRNUB_STORAGE_CREDENTIALS_BLOCK": "aws-credentials/leak-storage",
        # as the CLI sets them for itself: the block is saved by plain Python, on a fresh database
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **env,
    }
    saved = run_python(root, "-c", save_blocks, drop_env=("PREFECT_", "AWS_"), **env)
    assert saved.returncode == 0, saved.stderr[-2000:]
    ran = run_python(
        root,
        "-c",
        AIRNUB,
        "run",
        "project_alpha",
        "ingestion",
        "--config",
        str(config),
        "-v",
        drop_env=("PREFECT_", "AWS_"),
        **env,
    )
    assert ran.returncode == 1, ran.stderr[-3000:]  # gone.csv failed, the rest went on
    assert server.request_headers["/api.json"][0]["Authorization"] == "Bearer BlockS3ntinel"  # it was really sent
    assert "gone.csv?password=REDACTED: HTTP 404" in ran.stdout + ran.stderr
    for path in LOOPS:
        assert server.request_paths[path][0] == f"{path}?page=1&x=LoopS3ntinel"  # the value was really sent
        assert f"{path}?page=1: redirect loop at hop" in ran.stdout + ran.stderr
    bucket = Bucket(downloads, S3Credentials(s3.access_key, s3.secret_key, endpoint_url=s3.endpoint))
    objects = {
        f"{downloads}/{info.key}": bucket.read_bytes(info.key) + repr(bucket.metadata(info.key)).encode()
        for info in bucket.list()
    }
    assert any(blob.startswith(b"a\n1\n{") for blob in objects.values())  # ok.csv, stored with the block's keys
    return saved.stdout + saved.stderr + ran.stdout + ran.stderr, objects


def _hits(blobs: dict[str, bytes]) -> dict[str, list[str]]:
    return {s: sorted(name for name, blob in blobs.items() if s.encode() in blob) for s in SENTINELS}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_no_secret_reaches_prefects_sqlite_database_the_data_dir_or_the_output(
    tmp_path: Path, http_server: LoopbackHTTPServer, s3_server: S3Server
) -> None:
    home = tmp_path / "prefect-home"

    output, objects = _run(tmp_path, http_server, s3_server, PREFECT_HOME=str(home))

    prefect_files = _files(home)
    assert b"password=REDACTED" in b"".join(prefect_files.values())  # the flow runs' parameters, redacted
    found = _hits({**prefect_files, **_files(tmp_path / "data"), **objects, "output": output.encode()})
    assert found == {s: [] for s in SENTINELS}


def test_no_secret_reaches_a_prefect_servers_postgresql_tables(
    tmp_path: Path, http_server: LoopbackHTTPServer, s3_server: S3Server, postgres_server_url: str
) -> None:
    with prefect_server(tmp_path, postgres_server_url, server_env={"PREFECT_UI_ENABLED": "false"}) as topology:
        output, objects = _run(
            tmp_path,
            http_server,
            s3_server,
            PREFECT_API_URL=topology.api_url,
            PREFECT_HOME=str(tmp_path / "client-home"),
        )
        assert topology.database_url is not None
        engine = sa.create_engine(topology.database_url)
        try:
            with engine.connect() as conn:
                tables = conn.execute(
                    sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
                ).scalars()
                dump = {
                    table: "\n".join(
                        conn.execute(sa.text(f'SELECT CAST(t AS text) FROM "{table}" t')).scalars()
                    ).encode()
                    for table in list(tables)
                }
        finally:
            engine.dispose()

    assert b"leak-token" in dump["block_document"] and b"leak-storage" in dump["block_document"]  # what it wrote
    assert b"password=REDACTED" in dump["flow_run"]
    found = _hits({**dump, **_files(tmp_path / "data"), **objects, "output": output.encode()})
    assert found == {s: [] for s in SENTINELS}
