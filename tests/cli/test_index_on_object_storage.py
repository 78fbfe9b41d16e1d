"""A data dir on object storage names its manifest index (``AIRNUB_INDEX_URL`` or the Secret block
``AIRNUB_INDEX_URL_SECRET_BLOCK`` names): no command falls back on a SQLite file in a temp folder, which another
machine or a temp clean-up would lose with the provenance of the whole bucket."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from airnub_prefect_starter.core.store.index import ManifestIndex
from tests.cli.test_run_cmd import write_config
from tests.support.http_server import LoopbackHTTPServer
from tests.support.ports import free_port
from tests.support.stored_objects import ingest_bodies

REFUSAL = (
    "error: AIRNUB_INDEX_URL: required with the data dir on object storage (s3://airnub-test/data), where no local "
    "index outlives this machine or its temp folder: set it, e.g. to postgresql+psycopg://user@host/airnub, or to "
    "sqlite:////path/on/a/durable/disk.sqlite3 for one machine (or name a Secret block holding it in "
    "AIRNUB_INDEX_URL_SECRET_BLOCK)"
)


@pytest.fixture
def no_index_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data dir on object storage (an endpoint that does not answer) and no index URL; the working copy."""
    work = tmp_path / "work"
    monkeypatch.setenv("AIRNUB_DATA_DIR", "s3://airnub-test/data")
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(work))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    for name in ("AIRNUB_INDEX_URL", "AIRNUB_INDEX_URL_SECRET_BLOCK"):
        monkeypatch.delenv(name, raising=False)
    return work


@pytest.mark.parametrize("command", ["run", "demo", "manifest list"])
def test_a_command_with_the_data_dir_on_object_storage_and_no_index_url_is_refused_in_one_line(
    command: str,
    no_index_named: Path,
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "c.yaml", http_server, http_server.serve("/a.csv", body=b"a\n1\n"))
    args = {
        "run": ["run", "project_alpha", "ingestion", "--config", str(config)],
        "demo": ["demo", "--port", "0"],
        "manifest list": ["manifest", "list"],
    }[command]

    result = airnub(*args)

    assert result.exit_code == 2
    assert result.stderr.strip() == REFUSAL
    assert result.stdout == ""
    assert http_server.request_paths == {}  # nothing downloaded
    assert not no_index_named.exists()  # no working copy, no index in a temp folder


def test_the_data_dir_option_with_an_s3_url_and_no_index_url_is_refused_in_one_line(
    no_index_named: Path, airnub: Callable[..., Result]
) -> None:
    result = airnub("--data-dir", "s3://airnub-test/data", "manifest", "list")

    assert result.exit_code == 2
    assert result.stderr.strip() == REFUSAL
    assert not no_index_named.exists()


@pytest.mark.usefixtures("prefect_harness")
def test_manifest_list_on_object_storage_reads_the_index_url_from_the_secret_block(
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    s3_base: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.blocks.system import Secret

    index_path = tmp_path / "durable" / "manifest_index.sqlite3"
    index_path.parent.mkdir()
    index = ManifestIndex(f"sqlite:///{index_path}", root=s3_base)
    try:
        stored = ingest_bodies(http_server, f"{s3_base}/cas", index, {"a.bin": b"kept in the bucket"})
    finally:
        index.close()
    Secret(value=f"sqlite:///{index_path}").save("index-on-durable-disk", overwrite=True)
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.delenv("AIRNUB_INDEX_URL", raising=False)
    monkeypatch.setenv("AIRNUB_INDEX_URL_SECRET_BLOCK", "index-on-durable-disk")

    listed = airnub("manifest", "list", "--json")

    assert listed.exit_code == 0, listed.stderr
    assert [o["sha256"] for o in json.loads(listed.stdout)] == [stored["a.bin"].sha256]
    assert not (tmp_path / "work" / "manifest_index.sqlite3").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_manifest_list_names_a_missing_index_url_secret_block_in_one_line(
    no_index_named: Path, airnub: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRNUB_INDEX_URL_SECRET_BLOCK", "no-such-index-block")

    listed = airnub("manifest", "list")

    assert listed.exit_code == 2
    assert listed.stderr.strip() == (
        "error: AIRNUB_INDEX_URL_SECRET_BLOCK: Secret block 'no-such-index-block' was not found "
        "(see `airnub blocks setup`)"
    )
