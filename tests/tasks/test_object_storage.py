"""Object storage at the flows' edge: which bucket prefixes a run checks, which folders a category run mirrors, and
the check a deployment's stage run starts with (the flow itself, not only the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.config import ConfigModel, StorageBase
from airnub_prefect_starter.core.errors import ConfigError, StorageError
from airnub_prefect_starter.tasks.object_storage import MirroredFolder, mirrored_folders, object_storage_urls
from flows.dept_project_alpha.ingestion_flow_dept_project_alpha import ingestion_flow_dept_project_alpha
from tests.support.http_server import LoopbackHTTPServer

#: A data dir on object storage names its index (these tests never open it).
INDEX_URL = "postgresql+psycopg://user@db.example/airnub"


class Section(ConfigModel):
    enabled: bool = True
    base: StorageBase


class Stage(ConfigModel):
    output_base: StorageBase = "processed"
    on: Section | None = None
    off: Section | None = None


def test_the_run_checks_the_data_dir_and_every_enabled_s3_base_once(tmp_path: Path) -> None:
    config = Stage(
        output_base="s3://bucket-a/data/processed",
        on=Section(base="s3://bucket-b/raw/"),
        off=Section(enabled=False, base="s3://bucket-c/unused"),
    )

    on_s3 = object_storage_urls(load_settings(data_dir="s3://bucket-a/data", index_url=INDEX_URL), config)
    local = object_storage_urls(load_settings(data_dir=tmp_path), Stage(on=Section(base="raw")))

    assert on_s3 == ["s3://bucket-a/data", "s3://bucket-b/raw"]
    assert local == []


def test_a_category_mirrors_its_folders_on_object_storage_once_each(tmp_path: Path) -> None:
    settings = load_settings(data_dir="s3://bucket-a/data", index_url=INDEX_URL, work_dir=tmp_path / "work")
    work = (tmp_path / "work").resolve()

    folders = mirrored_folders(
        settings,
        inputs=["processed", "/srv/local-datasets"],
        outputs=["models", "reports", "reports/figures", "s3://bucket-b/shared/models"],
    )

    assert folders == [
        MirroredFolder("s3://bucket-a/data/models", work / "models", True),
        MirroredFolder("s3://bucket-a/data/processed", work / "processed", False),
        MirroredFolder("s3://bucket-a/data/reports", work / "reports", True),  # reports/figures with it
        MirroredFolder(
            "s3://bucket-b/shared/models", work.joinpath(".objects", "s3", "bucket-b", "shared", "models"), True
        ),
    ]
    assert mirrored_folders(load_settings(data_dir=tmp_path), outputs=["processed"]) == []
    with pytest.raises(ConfigError, match="must lie under it"):
        mirrored_folders(settings, outputs=["s3://bucket-a/data"])


def test_a_working_copy_path_maps_back_to_its_url(tmp_path: Path) -> None:
    settings = load_settings(data_dir="s3://bucket-a/data", index_url=INDEX_URL, work_dir=tmp_path)
    local = load_settings(data_dir=tmp_path)

    assert settings.location_of(settings.data_path("processed") / "iris.parquet") == (
        "s3://bucket-a/data/processed/iris.parquet"
    )
    assert settings.location_of(settings.data_path("s3://bucket-b/x") / "m.joblib") == "s3://bucket-b/x/m.joblib"
    assert local.location_of(tmp_path.resolve() / "processed" / "iris.parquet") == str(
        tmp_path.resolve() / "processed" / "iris.parquet"
    )


@pytest.mark.usefixtures("prefect_harness", "data_dir", "s3_env")
def test_a_stage_flow_fails_at_its_start_when_a_configured_bucket_does_not_exist(
    http_server: LoopbackHTTPServer,
) -> None:
    url = http_server.serve("/a.csv", body=b"a\n1\n")
    config = {
        "http": {"allow_private_networks": True, "retries": 0},
        "scheduled_file_downloads": {
            "data_source_name": "files",
            "local_artifacts_storage_base": "s3://no-such-bucket-here/raw",
            "files_to_acquire": [{"name": "a", "url": url}],
        },
    }

    state = ingestion_flow_dept_project_alpha(config=config, return_state=True)

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, StorageError)
    assert str(error).startswith("s3://no-such-bucket-here/raw: no such bucket (or key) (HTTP 404)")
    assert http_server.request_paths == {}
