"""``airnub run`` resolves a run once: one read of the settings, one validation of the stage config, one read of
its Variable and of the department mapping, one Secret read and one LIST per bucket, however many categories run.

Counted on real runs (the CLI in-process, the session's Prefect API, loopback sources, SeaweedFS) by wrapping the
class-level entry points every reader goes through, wherever it imported them from."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from prefect.blocks.system import Secret
from prefect.variables import Variable

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.departments import DepartmentMapping
from airnub_prefect_starter.core.store.object_store import Bucket
from airnub_prefect_starter.registry.config_files import stage_config_model
from tests.cli.test_run_data_stages_cmd import processing_config, write_yaml
from tests.support.http_server import LoopbackHTTPServer
from tests.support.raw_inputs import FLOWERS_CSV, ingest_raw, sklearn_iris_csv
from tests.support.s3_server import S3Server

VARIABLE = "dept_project_alpha_ingestion_config"


@contextmanager
def counted_reads() -> Iterator[Counter[str]]:
    """How often the block reads the settings, validates a stage config or the department mapping, reads a Variable
    or a Secret block, and checks a bucket."""
    counts: Counter[str] = Counter()
    monkeypatch = pytest.MonkeyPatch()

    def counting(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return original(*args, **kwargs)

        return call

    settings_init = AirnubSettings.__init__

    def init(self: AirnubSettings, *args: Any, **kwargs: Any) -> None:
        counts["settings"] += 1
        settings_init(self, *args, **kwargs)

    monkeypatch.setattr(AirnubSettings, "__init__", init)
    for stage in ("ingestion", "processing", "analysis"):
        model = stage_config_model(stage, "project_alpha")
        monkeypatch.setattr(model, "model_validate", counting(f"{stage} config", model.model_validate))
    monkeypatch.setattr(DepartmentMapping, "model_validate", counting("mapping", DepartmentMapping.model_validate))
    monkeypatch.setattr(Variable, "get", counting("variable", Variable.get))
    monkeypatch.setattr(Secret, "load", counting("secret", Secret.load))
    check = Bucket.check
    monkeypatch.setattr(Bucket, "check", lambda self: counting(f"check {self.url}", check)(self))
    try:
        yield counts
    finally:
        monkeypatch.undo()


@pytest.fixture
def ingestion_variable(http_server: LoopbackHTTPServer) -> Iterator[dict[str, Any]]:
    """The ingestion Variable: two files and one API, two categories."""
    config = {
        "http": {"allow_private_networks": True, "retries": 0},
        "scheduled_file_downloads": {
            "data_source_name": "cli_files",
            "local_artifacts_storage_base": "downloads",
            "files_to_acquire": [
                {"name": "a", "url": http_server.serve("/a.csv", body=b"a\n1\n")},
                {"name": "b", "url": http_server.serve("/b.csv", body=b"b\n2\n")},
            ],
        },
        "public_api_data": {
            "data_source_name": "cli_api",
            "apis_to_poll": [{"name": "rows", "url": http_server.serve("/rows", body=b'{"rows": [1, 2]}')}],
        },
    }
    Variable.set(VARIABLE, config, overwrite=True)
    yield config
    Variable.unset(VARIABLE)


def test_an_ingestion_run_from_the_variable_reads_settings_variable_config_and_mapping_once(
    airnub: Callable[..., Result], ingestion_variable: dict[str, Any], data_dir: Path
) -> None:
    with counted_reads() as reads:
        result = airnub("run", "project_alpha", "ingestion", "--json")

    assert result.exit_code == 0, result.stderr
    assert [item["status"] for item in json.loads(result.stdout)["items"]] == ["stored"] * 3
    assert reads == {"settings": 1, "variable": 1, "ingestion config": 1, "mapping": 1}


def test_a_processing_run_from_a_file_reads_settings_config_and_mapping_once(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    ingest_raw(http_server, "/flowers.csv", FLOWERS_CSV, data_source_name="cli_files", name="flowers")
    ingest_raw(http_server, "/more.csv", FLOWERS_CSV + b"\n", data_source_name="cli_files", name="more")
    config = write_yaml(tmp_path / "p.yaml", processing_config(("flowers", "flowers.csv"), ("more", "more.csv")))

    with counted_reads() as reads:
        result = airnub("run", "project_alpha", "processing", "--config", str(config), "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["built"] == 2
    assert reads == {"settings": 1, "processing config": 1, "mapping": 1}


def test_an_analysis_run_from_a_file_reads_settings_config_and_mapping_once(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    ingest_raw(http_server, "/iris.csv", sklearn_iris_csv(), data_source_name="cli_files", name="iris")
    processing = write_yaml(tmp_path / "p.yaml", processing_config(("iris", "iris.csv")))
    assert airnub("run", "project_alpha", "processing", "--config", str(processing)).exit_code == 0
    analysis = {"classification_reports": {"datasets": [{"name": "iris", "model": "logistic_regression"}]}}
    config = write_yaml(tmp_path / "a.yaml", analysis)

    with counted_reads() as reads:
        result = airnub("run", "project_alpha", "analysis", "--config", str(config), "--json")

    assert result.exit_code == 0, result.stderr
    assert [item["status"] for item in json.loads(result.stdout)["items"]] == ["analysed"]
    assert reads == {"settings": 1, "analysis config": 1, "mapping": 1}


def test_an_ingestion_run_on_object_storage_reads_its_credentials_block_once_and_lists_the_bucket_once(
    airnub: Callable[..., Result],
    s3_server: S3Server,
    s3_base: str,
    ingestion_variable: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = {"access_key_id": s3_server.access_key, "secret_access_key": s3_server.secret_key}
    Secret(value={**keys, "endpoint_url": s3_server.endpoint, "region": "us-east-1"}).save(
        "storage-once", overwrite=True
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "storage-once")
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{tmp_path / 'index.sqlite3'}")

    with counted_reads() as reads:
        result = airnub("run", "project_alpha", "ingestion", "--json")

    assert result.exit_code == 0, result.stderr
    assert [item["status"] for item in json.loads(result.stdout)["items"]] == ["stored"] * 3
    assert reads == {
        "settings": 1,
        "variable": 1,
        "ingestion config": 1,
        "mapping": 1,
        "secret": 1,
        f"check {s3_base}": 1,
    }
