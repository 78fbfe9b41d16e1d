"""``airnub data pull`` with the storage credentials in a Prefect Secret block (read through the session's Prefect
API), against the suite's real S3 server: no AWS variable needed, the secret shown nowhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from click.testing import Result
from prefect.blocks.system import Secret

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.store import mirror
from airnub_prefect_starter.core.store.object_store import Bucket
from tests.support.project_copy import REPO_ROOT
from tests.support.s3_server import S3Server


@pytest.fixture
def bucket_data(s3_base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``<data dir URL>/processed/table.csv`` on the bucket; the data dir there, a working copy and an index set."""
    (tmp_path / "made" / "processed").mkdir(parents=True)
    (tmp_path / "made" / "processed" / "table.csv").write_bytes(b"a,b\n1,2\n")
    mirror.push(tmp_path / "made" / "processed", Bucket(f"{s3_base}/processed"), "")
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{tmp_path / 'index.sqlite3'}")
    return s3_base


def test_data_pull_reads_the_credentials_block_and_shows_no_secret(
    airnub: Callable[..., Result],
    bucket_data: str,
    s3_server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = {
        "access_key_id": s3_server.access_key,
        "secret_access_key": s3_server.secret_key,
        "endpoint_url": s3_server.endpoint,
        "region": "us-east-1",
    }
    Secret(value=keys).save("data-pull-storage", overwrite=True)
    for name in s3_server.env:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "data-pull-storage")

    result = airnub("data", "pull", "processed")

    assert result.exit_code == 0, result.stderr
    assert f"{bucket_data}/processed -> {tmp_path / 'work' / 'processed'}: 1 transferred" in result.stdout
    assert (tmp_path / "work" / "processed" / "table.csv").read_bytes() == b"a,b\n1,2\n"
    assert s3_server.secret_key not in result.stdout + result.stderr


def test_data_pull_names_a_missing_credentials_block_in_one_line(
    airnub: Callable[..., Result], bucket_data: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "no-such-data-block")

    result = airnub("data", "pull")

    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "error: AIRNUB_STORAGE_CREDENTIALS_BLOCK: no block named 'no-such-data-block' was found (accepted: secret "
        "(Secret), aws-credentials (AWS Credentials), minio-credentials (MinIO Credentials), s3-bucket (S3 Bucket); "
        "see `airnub blocks setup`)"
    )


def test_data_pull_of_a_local_data_dir_has_nothing_to_do(
    airnub: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "data"))

    result = airnub("data", "pull")

    assert result.exit_code == 0, result.stderr
    assert f"the data dir is local ({tmp_path / 'data'}): nothing to pull" in result.stdout
    assert not (tmp_path / "data").exists()


def test_data_pull_refuses_a_folder_outside_the_data_dir(airnub: Callable[..., Result], bucket_data: str) -> None:
    result = airnub("data", "pull", "../elsewhere")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: '../elsewhere': not a folder inside the data dir (e.g. processed, models, reports)"
    )


def test_the_notebooks_first_cell_pulls_with_the_storage_block_and_opens_the_index_its_block_names(
    bucket_data: str,
    s3_server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The example notebook's cell that pulls, run as it is: no AWS variable, the keys and the index URL in
    blocks, as the flows read them."""
    keys = {"access_key_id": s3_server.access_key, "secret_access_key": s3_server.secret_key}
    Secret(value={**keys, "endpoint_url": s3_server.endpoint, "region": "us-east-1"}).save(
        "notebook-storage", overwrite=True
    )
    index_url = f"sqlite:///{tmp_path / 'durable' / 'index.sqlite3'}"
    Secret(value=index_url).save("notebook-index", overwrite=True)
    for name in s3_server.env:
        monkeypatch.delenv(name)
    monkeypatch.delenv("AIRNUB_INDEX_URL")
    monkeypatch.setenv("AIRNUB_INDEX_URL_SECRET_BLOCK", "notebook-index")
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "notebook-storage")
    notebook = nbformat.read(REPO_ROOT / "notebooks" / "dataset_lineage.ipynb", as_version=4)
    [cell] = [c.source for c in notebook.cells if c.cell_type == "code" and "pull_data(" in c.source]
    namespace: dict[str, object] = {}

    exec(compile(cell, "dataset_lineage.ipynb", "exec"), namespace)  # noqa: S102 - the project's own notebook

    settings = namespace["settings"]
    assert isinstance(settings, AirnubSettings) and settings.resolved_index_url == index_url
    assert f"{bucket_data}/processed -> {tmp_path / 'work' / 'processed'}: 1 transferred" in capsys.readouterr().out
    assert (tmp_path / "work" / "processed" / "table.csv").read_bytes() == b"a,b\n1,2\n"
