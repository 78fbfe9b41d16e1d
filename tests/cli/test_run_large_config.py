"""A config too large for Prefect's parameter limit (512 KiB of JSON on its server) runs: the flows get the whole
model, Prefect records a reference to the file, and that recorded reference runs the same config again."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.sorting import FlowRunSort

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.ingestion.config import ScheduledFileDownloadsConfig
from airnub_prefect_starter.tasks.config_reference import (
    RECORDED_IN_FULL_MAX_BYTES,
    ConfigReference,
    by_reference,
    file_reference,
    reference_of,
    resolve_reference,
)
from flows.dept_project_alpha.config_models_dept_project_alpha import IngestionStageConfig
from flows.dept_project_alpha.ingestion_flow_dept_project_alpha import ingestion_flow_dept_project_alpha
from tests.support.http_server import LoopbackHTTPServer

#: Items whose titles make the config's JSON form larger than Prefect's 524,288-byte parameter limit.
FILES, TITLE = 280, "t" * 2000


def write_large_config(path: Path, server: LoopbackHTTPServer) -> Path:
    files = [
        {"name": f"f{i}", "url": server.serve(f"/f{i}.csv", body=f"n\n{i}\n".encode()), "link_title": TITLE}
        for i in range(FILES)
    ]
    config = {
        "http": {"allow_private_networks": True, "retries": 0},
        "scheduled_file_downloads": {
            "data_source_name": "large",
            "local_artifacts_storage_base": "downloads",
            "files_to_acquire": files,
        },
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def latest_parent_and_children() -> tuple[Any, list[Any]]:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=50)
        parent = next(run for run in runs if run.name.startswith("project-alpha-ingestion-"))
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id]))
        )
        return parent, children


def test_run_of_a_config_over_prefects_parameter_limit_stores_every_file_and_records_a_reference(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    config = write_large_config(tmp_path / "large.yaml", http_server)
    model = IngestionStageConfig.model_validate(yaml.safe_load(config.read_text(encoding="utf-8")))
    assert len(model.model_dump_json()) > 524_288  # what Prefect's server refuses as a run's parameters

    result = airnub("run", "project_alpha", "ingestion", "--config", str(config), "--json")

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]["stored"] == FILES
    parent, children = latest_parent_and_children()
    sha256 = hashlib.sha256(config.read_bytes()).hexdigest()
    assert parent.parameters["config"] == {"config_file": str(config.resolve()), "sha256": sha256}
    assert [child.parameters["config"] for child in children] == [
        {"config_file": str(config.resolve()), "sha256": sha256, "section": "scheduled_file_downloads"}
    ]

    # the recorded parameters run the same config again: nothing changed at the source
    again = ingestion_flow_dept_project_alpha(config=parent.parameters["config"])
    assert again.counts()["unchanged"] == FILES


def test_a_recorded_reference_to_a_config_file_that_changed_is_refused(
    http_server: LoopbackHTTPServer, tmp_path: Path
) -> None:
    config = write_large_config(tmp_path / "large.yaml", http_server)
    recorded = file_reference(config, config.read_bytes()).model_dump(mode="json")
    config.write_text(config.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"large\.yaml: changed since this run was started with it"):
        resolve_reference(recorded)


def test_a_small_config_is_recorded_in_full_and_a_large_one_keeps_its_class_fields_and_pickles_plain(
    tmp_path: Path,
) -> None:
    reference = ConfigReference(config_file=str(tmp_path / "c.yaml"), sha256="0" * 64)
    small = ScheduledFileDownloadsConfig(
        data_source_name="s", local_artifacts_storage_base="d", files_to_acquire=[{"name": "a", "url": "http://h/a"}]
    )
    count = RECORDED_IN_FULL_MAX_BYTES // 50  # each item is over 50 bytes of JSON
    large = small.model_copy(update={"files_to_acquire": small.files_to_acquire * count})

    recorded = by_reference(large, reference)

    assert by_reference(small, reference) is small
    assert isinstance(recorded, ScheduledFileDownloadsConfig)
    assert recorded.model_dump() == large.model_dump()
    assert recorded.model_dump(mode="json") == {"config_file": reference.config_file, "sha256": "0" * 64}
    assert recorded.model_dump()["files_to_acquire"][0]["url"] == "http://h/a"  # Python form: the whole config
    assert reference_of(recorded) == reference and reference_of(large) is None
    unpickled = pickle.loads(pickle.dumps(recorded))
    assert type(unpickled) is ScheduledFileDownloadsConfig and unpickled == large
