"""``airnub new category --kind tabular --input`` with the data dir on object storage (a real SeaweedFS on
loopback) and its keys only in the block ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` names: the input's newest object is
read from the bucket with the block's credentials, as the flows read it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from prefect.blocks.system import Secret

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.ingestion.config import FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestContext, download_hash_store_and_manifest
from tests.cli.test_new_cmd import new, project  # noqa: F401  (fixtures)
from tests.support.http_server import LoopbackHTTPServer
from tests.support.s3_server import S3Server

ROWS = b"station,reading\nnorth,1.5\nsouth,2.25\n"


def test_new_tabular_category_reads_its_input_from_the_bucket_with_the_storage_credentials_block(
    new: Callable[..., Result],  # noqa: F811
    project: Path,  # noqa: F811
    http_server: LoopbackHTTPServer,
    s3_server: S3Server,
    s3_base: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert new("department", "beta").exit_code == 0
    assert new("category", "beta", "ingestion", "files", "--url", "http://127.0.0.1:9/rows.csv").exit_code == 0
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{tmp_path / 'manifest_index.sqlite3'}")
    settings = load_settings()
    index = ManifestIndex(settings.resolved_index_url, root=settings.index_root)
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    try:
        with build_http_client(policy) as client:
            ctx = IngestContext(open_store(settings.storage_location("cas")), index, policy, client, "beta_files")
            item = FileToAcquire(name="rows", url=http_server.serve("/rows.csv", body=ROWS))
            download_hash_store_and_manifest(item, ctx)
    finally:
        index.close()
    block = f"storage-{uuid.uuid4().hex[:10]}"
    keys = {"access_key_id": s3_server.access_key, "secret_access_key": s3_server.secret_key}
    Secret(value={**keys, "endpoint_url": s3_server.endpoint, "region": "us-east-1"}).save(block)
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", block)
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable)

    result = new("category", "beta", "processing", "readings", "--kind", "tabular", "--input", "files")

    assert result.exit_code == 0, result.stderr
    config = project / "configs" / "variables" / "dept_beta" / "processing_config_dept_beta.yaml"
    [declared] = yaml.safe_load(config.read_text(encoding="utf-8"))["readings"]["datasets"]
    assert {c["name"]: c["type"] for c in declared["schema"]["columns"]} == {"station": "str", "reading": "float"}
