"""The ingestion kinds and item operations: ``ingest_batch`` runs the operation its name registers, and a kind
lists its items from the section model it names."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.http.auth import Credentials
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import ApiConfig, DownloadsConfig, FileToAcquire
from airnub_prefect_starter.ingestion.downloads import IngestContext
from airnub_prefect_starter.ingestion.kinds import (
    API,
    DOWNLOADS,
    INGESTION_KINDS,
    ITEM_OPERATIONS,
    SCRAPE,
    IngestionKind,
    register_operation,
)
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from tests.support.http_server import LoopbackHTTPServer

SECTION = {"data_source_name": "src", "local_artifacts_storage_base": "files"}


def runtime(tmp_path: Path, index_url: str) -> BatchRuntime:
    return BatchRuntime(
        category="files",
        data_source_name="src",
        store_base=str(tmp_path / "cas"),
        index_url=index_url,
        policy=HttpPolicy(allow_private_networks=True),
    )


def test_a_kind_lists_the_items_of_its_own_section_model_only() -> None:
    files = DownloadsConfig.model_validate(
        {**SECTION, "files_to_acquire": [{"name": "a", "url": "https://example.org/a.csv"}]}
    )
    apis = ApiConfig.model_validate({"data_source_name": "src", "apis_to_poll": []})

    assert [item.name for item in DOWNLOADS.items(files)] == ["a"]
    with pytest.raises(ConfigError, match="kind downloads: a ApiConfig section is not a DownloadsConfig"):
        DOWNLOADS.items(apis)


def test_the_registry_names_the_kinds_and_refuses_an_unknown_or_repeated_one() -> None:
    assert list(INGESTION_KINDS) == ["downloads", "api", "scrape"]
    assert [INGESTION_KINDS[k].operation for k in INGESTION_KINDS] == ["download", "poll_api", "scrape_page"]
    assert INGESTION_KINDS.by_section(ApiConfig) is API and INGESTION_KINDS.by_section(FileToAcquire) is None

    with pytest.raises(ConfigError, match=r"kind 'scrap' \(did you mean 'scrape'\?\): not a ingestion kind"):
        INGESTION_KINDS["scrap"]
    with pytest.raises(ConfigError, match="ingestion kind scrape is registered already"):
        INGESTION_KINDS.register(SCRAPE)
    with pytest.raises(ConfigError, match="kind report is a analysis kind, not a ingestion one"):
        INGESTION_KINDS.register(IngestionKind("report", "analysis", ApiConfig, "apis_to_poll", "x", "x"))


def test_ingest_batch_runs_the_operation_registered_under_its_name(
    http_server: LoopbackHTTPServer, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("airnub_prefect_starter.ingestion.kinds.ITEM_OPERATIONS", dict(ITEM_OPERATIONS))
    download = ITEM_OPERATIONS["download"]

    def download_and_count(
        item: Any, ctx: IngestContext, category: str, credentials: Credentials, **options: Any
    ) -> ItemOutcome:
        outcome = download.run(item, ctx, category, credentials)
        return dataclasses.replace(outcome, detail=f"{options['unit']}: {outcome.size_bytes}")

    item = FileToAcquire(name="a", url=http_server.serve("/a.csv", body=b"abc"))
    register_operation("download_and_count", download_and_count)

    [outcome] = ingest_batch("download_and_count", [item], runtime(tmp_path, sqlite_url), unit="bytes")

    assert (outcome.status, outcome.detail) == ("stored", "bytes: 3")
    with pytest.raises(ConfigError, match="item operation download_and_count is registered already"):
        register_operation("download_and_count", download_and_count)
    with pytest.raises(ConfigError, match="item operation 'ftp': not one of download, poll_api, scrape_page"):
        ingest_batch("ftp", [item], runtime(tmp_path, sqlite_url))
