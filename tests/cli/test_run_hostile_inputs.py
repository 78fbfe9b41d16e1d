"""``airnub run`` against hostile inputs: one bad item fails alone, with its error, and its category goes on.

Each case puts the hostile item between good ones of the same category: the run must end with one outcome per
item (the hostile one ``failed`` unless it can be read safely, the others ``stored`` or ``built``), and no crashed
category.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from airnub_prefect_starter.data_science import readers
from tests.support.demo_recipes import demo_dataset
from tests.support.http_server import LoopbackHTTPServer
from tests.support.raw_inputs import FLOWERS_CSV, ingest_raw

GOOD_JSON = b'{"records": [{"id": 1}]}'
GOOD_PAGE = b'<html><body><a href="/files/a.csv">a</a></body></html>'

#: name -> (body, Content-Type, what the failed item's error says)
API_CASES: dict[str, tuple[bytes, str, str]] = {
    "deep_json": (b"[" * 200_000 + b"]" * 200_000, "application/json", "nested too deeply"),
    "huge_integer": (b'{"n": ' + b"7" * 100_000 + b"}", "application/json", "a number has too many digits"),
}
#: name -> (body, Content-Type, the page's outcome: "stored", or the start of its error after the URL)
PAGE_CASES: dict[str, tuple[bytes, str, str]] = {
    "base_href_bad_ipv6": (b'<base href="http://[::1"><a href="x.csv">x</a>', "text/html", "stored"),
    "bogus_marked_section": (b'<p>hi</p><![ foo ]><a href="/files/b.csv">b</a>', "text/html", "stored"),
    "charset_zlib": (GOOD_PAGE + b"<!-- zlib -->", "text/html; charset=zlib", "stored"),
    "charset_rot13": (GOOD_PAGE + b"<!-- rot13 -->", "text/html; charset=rot13", "stored"),
    "charset_undefined": (GOOD_PAGE + b"<!-- undefined -->", "text/html; charset=undefined", "stored"),
    "charset_utf16_without_bom": (
        b"<html>" + GOOD_PAGE,
        "text/html; charset=utf-16",
        "page cannot be read as utf-16 (its Content-Type charset)",
    ),
}

#: The link a hostile page still yields (its page's outcome, followed and downloaded): after a bogus marked
#: section, and resolved against the page itself when its ``<base>`` is unusable.
PAGE_LINKS = {"base_href_bad_ipv6": "/pages/x.csv", "bogus_marked_section": "/files/b.csv"}


def _run(airnub: Callable[..., Result], tmp_path: Path, config: dict[str, Any], category: str) -> dict[str, Any]:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"http": {"allow_private_networks": True, "retries": 0}, **config}))
    result = airnub("run", "project_alpha", "ingestion", "--config", str(path), "--category", category, "--json")
    summary: dict[str, Any] = json.loads(result.stdout)
    summary["exit_code"] = result.exit_code
    return summary


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_run_api_poll_fails_only_the_hostile_response_when_its_json_cannot_be_parsed(
    case: str, airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    body, content_type, reason = API_CASES[case]
    urls = [
        http_server.serve("/api/first", body=GOOD_JSON, headers={"Content-Type": "application/json"}),
        http_server.serve(f"/api/{case}", body=body, headers={"Content-Type": content_type}),
        http_server.serve("/api/last", body=GOOD_JSON + b" ", headers={"Content-Type": "application/json"}),
    ]
    config = {
        "public_api_data": {
            "data_source_name": "hostile_api",
            "apis_to_poll": [{"name": f"api{i}", "url": url} for i, url in enumerate(urls)],
        }
    }

    summary = _run(airnub, tmp_path, config, "public_api_data")

    assert summary["exit_code"] == 1
    assert summary.get("crashed", {}) == {}
    assert [item["status"] for item in summary["items"]] == ["stored", "failed", "stored"]
    error = summary["items"][1]["error"]
    assert error.startswith(f"{urls[1]}: response is not JSON") and reason in error, error
    assert "\n" not in error
    assert summary["counts"]["total"] == 3


@pytest.mark.parametrize("case", sorted(PAGE_CASES))
def test_run_scrape_keeps_every_page_when_one_page_is_hostile(
    case: str, airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    body, content_type, expected = PAGE_CASES[case]
    urls = [
        http_server.serve("/pages/first.html", body=GOOD_PAGE, headers={"Content-Type": "text/html"}),
        http_server.serve(f"/pages/{case}.html", body=body, headers={"Content-Type": content_type}),
        http_server.serve("/pages/last.html", body=GOOD_PAGE + b" ", headers={"Content-Type": "text/html"}),
    ]
    for path in ("/files/a.csv", *PAGE_LINKS.values()):
        http_server.serve(path, body=f"x,y\n1,{path}\n".encode())
    config = {
        "web_page_link_scraping": {
            "data_source_name": "hostile_pages",
            "local_manifests_storage_base": "pages",
            "pages_to_scrape": [{"name": f"page{i}", "url": url} for i, url in enumerate(urls)],
            "follow_links": {"patterns": [r"\.csv$"]},
        }
    }

    summary = _run(airnub, tmp_path, config, "web_page_link_scraping")

    assert summary.get("crashed", {}) == {}
    first, hostile, last, *linked = summary["items"]
    assert (first["status"], last["status"]) == ("stored", "stored")
    expected_links = {
        http_server.url("/files/a.csv"),
        *([http_server.url(PAGE_LINKS[case])] if case in PAGE_LINKS else []),
    }
    assert {(item["url"], item["status"]) for item in linked} == {(url, "stored") for url in expected_links}
    if expected == "stored":
        assert (hostile["status"], summary["exit_code"]) == ("stored", 0), hostile
    else:
        assert (hostile["status"], summary["exit_code"]) == ("failed", 1)
        assert hostile["error"].startswith(f"{urls[1]}: {expected}")


def test_run_processing_fails_only_the_datasets_whose_input_is_hostile_or_whose_code_raises(
    airnub: Callable[..., Result],
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest_raw(http_server, "/flowers.csv", FLOWERS_CSV, data_source_name="cli_files", name="flowers")
    deep = ingest_raw(
        http_server, "/deep.json", b"[" * 200_000 + b"]" * 200_000, data_source_name="cli_files", name="d"
    )
    ingest_raw(http_server, "/rows.jsonl", b'{"x": 1}\n', data_source_name="cli_files", name="rows")

    def buggy_reader(*args: object) -> object:  # stands for a bug in the code that reads one format
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(readers.JsonLinesReader, "batches", buggy_reader)
    schema = {"columns": [{"name": "x", "type": "int"}]}
    config = {
        "tabular_files": {
            "datasets": [
                demo_dataset(
                    "iris", name="flowers", input={"data_source_name": "cli_files", "filename": "flowers.csv"}
                ),
                {
                    "name": "deep",
                    "input": {"data_source_name": "cli_files", "filename": "deep.json"},
                    "format": "json",
                    "schema": schema,
                },  # fmt: skip
                {
                    "name": "rows",
                    "input": {"data_source_name": "cli_files", "filename": "rows.jsonl"},
                    "format": "jsonl",
                    "schema": schema,
                },  # fmt: skip
            ]
        }
    }
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(config))

    result = airnub("run", "project_alpha", "processing", "--config", str(path), "--json")

    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary.get("crashed", {}) == {}
    assert [(i["name"], i["status"]) for i in summary["items"]] == [
        ("flowers", "built"),
        ("deep", "failed"),
        ("rows", "failed"),
    ]
    assert summary["items"][1]["error"] == (
        f"dataset deep: object {deep.sha256[:12]} (deep.json): not valid JSON: arrays or objects nested too deeply "
        "to read"
    )
    assert summary["items"][2]["error"] == "unexpected ZeroDivisionError: division by zero"


def test_run_processing_refuses_a_bytes_codec_as_reader_encoding_at_config_load(
    airnub: Callable[..., Result], tmp_path: Path, data_dir: Path
) -> None:
    dataset = demo_dataset("iris", input={"data_source_name": "cli_files", "filename": "iris.csv"})
    dataset["reader"] = {**dataset.get("reader", {}), "encoding": "zlib"}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"tabular_files": {"datasets": [dataset]}}))

    result = airnub("run", "project_alpha", "processing", "--config", str(path), "--json")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == (
        f"{path}: tabular_files.datasets[0].reader.encoding: 'zlib' is not a text encoding (it is a bytes codec)"
    )
