"""``airnub run`` when the store cannot be written: each item fails naming the path, the category goes on."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.cli.test_run_cmd import write_config
from tests.support.http_server import LoopbackHTTPServer


def test_run_fails_each_item_naming_the_path_when_the_temp_area_cannot_be_made(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    store = data_dir / "downloads"
    store.mkdir(parents=True)
    (store / ".tmp").write_bytes(b"not a folder")  # the temp area replaced by a file: every write fails
    urls = [http_server.serve("/a.csv", body=b"a\n1\n"), http_server.serve("/b.csv", body=b"b\n2\n")]
    config = write_config(tmp_path / "c.yaml", http_server, *urls)

    result = airnub("run", "project_alpha", "ingestion", "--config", str(config), "--json")

    assert result.exit_code == 1, result.stderr
    summary = json.loads(result.stdout)
    assert not summary.get("crashed")
    assert [i["status"] for i in summary["items"]] == ["failed", "failed"]
    for item in summary["items"]:
        assert f"cannot create a temp file in {store / '.tmp'}: ENOTDIR (Not a directory)" in item["error"]
    assert summary["counts"]["failed"] == summary["counts"]["total"] == 2
    assert (store / ".tmp").read_bytes() == b"not a folder"
