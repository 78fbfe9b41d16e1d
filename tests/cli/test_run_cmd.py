"""``airnub run``: the --json contract and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.ports import free_port


def write_config(path: Path, server: LoopbackHTTPServer, *urls: str) -> Path:
    config = {
        "http": {"allow_private_networks": True, "retries": 0},
        "scheduled_file_downloads": {
            "data_source_name": "cli_files",
            "local_artifacts_storage_base": "downloads",
            "files_to_acquire": [{"name": f"f{i}", "url": url} for i, url in enumerate(urls)],
        },
    }
    path.write_text(yaml.safe_dump(config))
    return path


def test_run_json_prints_contract_and_exits_zero(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    url = http_server.serve("/a.csv", body=b"a\n1\n")
    config = write_config(tmp_path / "c.yaml", http_server, url)

    result = airnub("run", "project_alpha", "ingestion", "--config", str(config), "--json")

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["items"] == [
        {
            "category": "scheduled_file_downloads",
            "name": "f0",
            "url": url,
            "status": "stored",
            "sha256": sha256_hex(b"a\n1\n"),
            "path": str(data_dir / "downloads" / "cli_files" / sha256_hex(b"a\n1\n") / "a.csv"),
            "error": None,
        }
    ]
    assert summary["counts"] == {"stored": 1, "unchanged": 0, "duplicate": 0, "failed": 0, "total": 1}


def test_run_exits_one_when_an_item_fails(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    good = http_server.serve("/ok.csv", body=b"ok")
    config = write_config(tmp_path / "c.yaml", http_server, good, http_server.url("/gone.csv"))

    result = airnub("run", "dept_project_alpha", "ingestion", "--config", str(config), "--json")

    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert [i["status"] for i in summary["items"]] == ["stored", "failed"]
    assert "gone.csv: HTTP 404" in summary["items"][1]["error"]
    assert summary["counts"]["failed"] == 1


def test_run_exits_two_on_invalid_config_naming_the_key(
    airnub: Callable[..., Result], tmp_path: Path, data_dir: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scheduled_file_downloads:\n  data_source_name: x\n  local_artifacts_storage_base: d\n  files_to_aquire: []\n"
    )

    result = airnub("run", "project_alpha", "ingestion", "--config", str(bad))

    assert result.exit_code == 2
    assert "scheduled_file_downloads.files_to_aquire: unknown key" in result.stderr
    assert f"{bad}:" in result.stderr


def test_run_exits_two_on_unknown_department_or_stage(airnub: Callable[..., Result], data_dir: Path) -> None:
    assert airnub("run", "nope", "ingestion").exit_code == 2
    assert airnub("run", "project_alpha", "cooking").exit_code == 2


def test_typos_fail_fast_naming_the_closest_category_or_department(
    airnub: Callable[..., Result], data_dir: Path
) -> None:
    category = airnub("run", "project_alpha", "ingestion", "--category", "public_api_dta", "--json")
    department = airnub("run", "project_alpah", "ingestion")

    assert category.exit_code == 2
    assert json.loads(category.stdout)["error"] == (
        "categories: unknown public_api_dta (did you mean 'public_api_data'?) "
        "(known: scheduled_file_downloads, public_api_data, web_page_link_scraping)"
    )
    assert "Prefect API" not in category.stderr  # refused before any Prefect API was chosen or started
    assert department.exit_code == 2
    assert "department 'project_alpah': unknown (did you mean 'project_alpha'?) (known: project_alpha" in (
        department.stderr
    )


def test_run_with_a_proxy_in_the_environment_reaches_the_local_prefect_api_and_sources_directly(
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dead_proxy = f"http://127.0.0.1:{free_port()}"  # a proxy that is not there: anything sent through it fails
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, dead_proxy if name.endswith("PROXY") and "NO" not in name else "")
    config = write_config(tmp_path / "c.yaml", http_server, http_server.serve("/a.csv", body=b"a\n1\n"))

    result = airnub("run", "project_alpha", "ingestion", "--config", str(config), "--json")

    assert result.exit_code == 0, result.stderr
    assert [item["status"] for item in json.loads(result.stdout)["items"]] == ["stored"]


def test_run_of_a_category_with_no_items_says_so_in_json_and_in_the_table(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    config = write_config(tmp_path / "c.yaml", http_server)  # files_to_acquire: []

    as_json = airnub("run", "project_alpha", "ingestion", "--config", str(config), "--json")
    shown = airnub("run", "project_alpha", "ingestion", "--config", str(config))

    assert as_json.exit_code == 0, as_json.stderr
    summary = json.loads(as_json.stdout)
    assert (summary["counts"]["total"], summary["empty"]) == (0, ["scheduled_file_downloads"])
    assert shown.exit_code == 0, shown.stderr
    assert "category scheduled_file_downloads: no items in its config" in shown.stdout
