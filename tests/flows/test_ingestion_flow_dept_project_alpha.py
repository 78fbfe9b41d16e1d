"""Project Alpha's ingestion stage, end to end on the session's Prefect test server."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.variables import Variable

from airnub_prefect_starter.core.errors import ConfigError, StageFailedError
from airnub_prefect_starter.stages.results import StageResult
from flows.dept_project_alpha.ingestion_flow_dept_project_alpha import ingestion_flow_dept_project_alpha
from tests.flows.conftest import ingestion_config
from tests.support.http_server import LoopbackHTTPServer, Route, sha256_hex

CSV = b"sepal_length,species\n5.1,setosa\n"


def files_section(*items: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "data_source_name": "alpha_files",
        "local_artifacts_storage_base": "downloads",
        "files_to_acquire": list(items),
        **extra,
    }


def run_ingestion(config: dict[str, Any] | None) -> tuple[Any, StageResult]:
    state = ingestion_flow_dept_project_alpha(config=config, return_state=True)
    if state.is_completed():
        return state, state.result()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, StageFailedError), error
    return state, error.result


def flow_runs_of(flow_run_id: Any) -> list[Any]:
    """The flow run and its sub-flow runs."""
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id]))
        )
        return [client.read_flow_run(flow_run_id), *children]


def artifacts_of(flow_run_id: Any) -> list[Any]:
    with get_client(sync_client=True) as client:
        subflow_ids = [flow_run_id]
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id]))
        )
        subflow_ids += [run.id for run in children]
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=subflow_ids))
        )


def test_ingestion_runs_three_categories_end_to_end(http_server: LoopbackHTTPServer, data_dir: Path) -> None:
    iris = http_server.serve("/files/iris.csv", body=CSV, etag='"iris-1"')
    api = http_server.serve(
        "/api/records", body=b'{"records": [1, 2, 3]}', headers={"Content-Type": "application/json"}
    )
    http_server.serve("/files/wine.csv", body=b"wine\n1\n")
    page = http_server.serve(
        "/pages/index.html", body=b'<a href="../files/wine.csv">Wine data</a> <a href="mailto:x@y">m</a>'
    )
    config = ingestion_config(
        http_server,
        scheduled_file_downloads=files_section({"name": "iris", "url": iris}),
        public_api_data={
            "data_source_name": "alpha_api",
            "apis_to_poll": [{"name": "records", "url": api, "extract_key": "records"}],
        },
        web_page_link_scraping={
            "data_source_name": "alpha_pages",
            "local_manifests_storage_base": "pages",
            "pages_to_scrape": [{"name": "index", "url": page}],
            "follow_links": {"patterns": [r"\.csv$"]},
        },
    )

    state, result = run_ingestion(config)

    assert state.is_completed()
    assert {(o.category, o.name, o.status) for o in result.outcomes} == {
        ("scheduled_file_downloads", "iris", "stored"),
        ("public_api_data", "records", "stored"),
        ("web_page_link_scraping", "index", "stored"),
        ("web_page_link_scraping", "wine.csv", "stored"),
    }
    assert (data_dir / "downloads" / "alpha_files" / sha256_hex(CSV) / "iris.csv").read_bytes() == CSV
    wine = next(o for o in result.outcomes if o.name == "wine.csv")
    manifest = json.loads(Path(wine.path + ".manifest.json").read_text())
    assert (manifest["source_page_url"], manifest["link_title"]) == (page, "Wine data")
    assert manifest["run_ids"]["flow_run_id"] and manifest["run_ids"]["task_run_id"]
    artifacts = artifacts_of(state.state_details.flow_run_id)
    tables = {a.key: a for a in artifacts if a.type == "table"}
    assert set(tables) >= {
        "project-alpha-scheduled-file-downloads",
        "project-alpha-public-api-data",
        "project-alpha-web-page-link-scraping",
    }
    assert sha256_hex(CSV) in str(tables["project-alpha-scheduled-file-downloads"].data)
    assert any(a.type == "markdown" and a.key == "project-alpha-ingestion-summary" for a in artifacts)
    progress = sorted(a.key for a in artifacts if a.type == "progress")
    assert progress == [
        "project-alpha-public-api-data-progress",
        "project-alpha-scheduled-file-downloads-progress",
        "project-alpha-web-page-link-scraping-linked-files-progress",
        "project-alpha-web-page-link-scraping-pages-progress",
    ]  # one key per progress bar: the scraping flow's pages and linked files each have their own
    assert all(a.data == 100.0 for a in artifacts if a.type == "progress")
    names = [run.name for run in flow_runs_of(state.state_details.flow_run_id)]
    assert all(re.fullmatch(r"project-alpha-[a-z-]+-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", n) for n in names), names
    assert any(n.startswith("project-alpha-ingestion-") for n in names)
    assert any(n.startswith("project-alpha-scheduled-file-downloads-") for n in names)

    second_state, second = run_ingestion(config)

    assert second_state.is_completed()
    assert {o.status for o in second.outcomes} == {"unchanged"}


def test_ingestion_fails_after_storing_the_other_items(http_server: LoopbackHTTPServer, data_dir: Path) -> None:
    good = http_server.serve("/good.csv", body=CSV)
    flaky = http_server.serve("/flaky.csv", Route(status=503, body=b"busy"), Route(body=b"recovered\n"))
    missing = http_server.url("/missing.csv")
    config = ingestion_config(
        http_server,
        scheduled_file_downloads=files_section(
            {"name": "good", "url": good}, {"name": "missing", "url": missing}, {"name": "flaky", "url": flaky}
        ),
    )

    state, result = run_ingestion(config)

    assert state.is_failed()
    assert [(o.name, o.status) for o in result.outcomes] == [
        ("good", "stored"),
        ("missing", "failed"),
        ("flaky", "stored"),
    ]
    failed = result.outcomes[1]
    assert failed.error_type == "PermanentDownloadError" and "/missing.csv: HTTP 404" in (failed.error or "")
    assert http_server.hits["/missing.csv"] == 1  # permanent: not retried
    assert http_server.hits["/flaky.csv"] == 2  # transient: retried once, then stored
    assert "missing" in str(state.message) and "HTTP 404" in str(state.message)


def test_ingestion_reads_config_from_prefect_variable(http_server: LoopbackHTTPServer, data_dir: Path) -> None:
    url = http_server.serve("/v.csv", body=CSV)
    value = ingestion_config(http_server, scheduled_file_downloads=files_section({"name": "v", "url": url}))
    Variable.set("dept_project_alpha_ingestion_config", value, overwrite=True)

    assert Variable.get("dept_project_alpha_ingestion_config") == value
    state, result = run_ingestion(None)

    assert state.is_completed() and [o.status for o in result.outcomes] == ["stored"]


def test_ingestion_rejects_invalid_config_naming_the_key(data_dir: Path) -> None:
    state = ingestion_flow_dept_project_alpha(
        config={
            "scheduled_file_downloads": {
                "data_source_name": "x",
                "local_artifacts_storage_base": "d",
                "files_to_acquire": [{"name": "a", "url": "ftp://x/y"}],
            }
        },
        return_state=True,
    )

    assert state.is_failed()
    assert "scheduled_file_downloads.files_to_acquire[0].url: not a valid http(s) URL" in str(state.message)


BATCH_LINE = re.compile(
    r"scheduled_file_downloads batch of 1 in [0-9.]+ s: 1 stored, 0 unchanged, 0 duplicate, 0 failed"
)


def test_ingestion_core_logs_reach_the_run_logs(http_server: LoopbackHTTPServer, data_dir: Path) -> None:
    url = http_server.serve("/logged.csv", body=CSV)

    state, _ = run_ingestion(
        ingestion_config(http_server, scheduled_file_downloads=files_section({"name": "l", "url": url}))
    )

    runs = [state.state_details.flow_run_id]
    with get_client(sync_client=True) as client:
        runs += [
            r.id
            for r in client.read_flow_runs(
                flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=runs))
            )
        ]
        deadline = time.monotonic() + 15  # the API log handler ships logs in the background, 1-2 s behind
        core_lines: list[str] = []
        while time.monotonic() < deadline and not any(BATCH_LINE.match(line) for line in core_lines):
            time.sleep(0.5)
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=runs)))
            core_lines = [log.message for log in logs if log.name.startswith("airnub_prefect_starter.ingestion")]
    assert any(BATCH_LINE.match(line) for line in core_lines), core_lines


def test_ingestion_respects_per_host_limit(http_server: LoopbackHTTPServer, data_dir: Path) -> None:
    items = [
        {
            "name": f"f{i}",
            "url": http_server.serve(f"/slow/{i}.csv", body=b"%d\n" % i * 50, drip_delay_s=0.01, drip_bytes=40),
        }
        for i in range(12)
    ]
    config = ingestion_config(http_server, scheduled_file_downloads=files_section(*items))
    config["http"]["per_host_limit"] = 2
    config["task_runner"] = {"kind": "threads", "max_concurrency": 6}
    config["batch_size"] = 2

    state, result = run_ingestion(config)

    assert state.is_completed() and len(result.outcomes) == 12
    assert http_server.max_in_flight == 2


@pytest.mark.parametrize("categories", [["public_api_data"]])
def test_ingestion_runs_only_selected_categories(
    http_server: LoopbackHTTPServer, data_dir: Path, categories: list[str]
) -> None:
    api = http_server.serve("/api", body=b"{}")
    config = ingestion_config(
        http_server,
        scheduled_file_downloads=files_section({"name": "never", "url": http_server.url("/never.csv")}),
        public_api_data={"data_source_name": "alpha_api", "apis_to_poll": [{"name": "api", "url": api}]},
    )

    state = ingestion_flow_dept_project_alpha(config=config, categories=categories, return_state=True)

    assert state.is_completed()
    assert http_server.hits["/never.csv"] == 0


def test_the_old_concurrency_key_names_its_new_place(http_server: LoopbackHTTPServer, data_dir: Path) -> None:
    config = ingestion_config(http_server)
    config["http"]["max_concurrency"] = 6

    state = ingestion_flow_dept_project_alpha(config=config, return_state=True)

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, ConfigError)
    assert "http: max_concurrency has moved: set task_runner.max_concurrency in the stage config instead" in str(error)
