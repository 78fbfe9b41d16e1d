"""``airnub demo`` with the data dir on object storage (SeaweedFS on loopback, the AWS variables set): raw objects,
datasets, models, figures and reports all land in the bucket, and a second run from a working copy that lost its
outputs (as on another machine) changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from airnub_prefect_starter.core.store.object_store import Bucket
from tests.support.ports import free_port


def test_demo_on_object_storage_writes_every_output_to_the_bucket_and_a_second_run_changes_nothing(
    airnub: Callable[..., Result], config_dir: Path, s3_base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    monkeypatch.setenv("AIRNUB_DATA_DIR", s3_base)
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(work))
    index = tmp_path / "manifest_index.sqlite3"  # a durable index, kept apart from the working copy
    monkeypatch.setenv("AIRNUB_INDEX_URL", f"sqlite:///{index}")
    port = str(free_port())

    first = airnub("demo", "--port", port)
    keys = sorted(info.key for info in Bucket(s3_base).list())
    fetched = sorted(
        p.relative_to(work / ".raw-cache").as_posix() for p in (work / ".raw-cache").rglob("*") if p.is_file()
    )
    for folder in ("processed", "models", "reports"):  # a working copy without outputs: they come from the bucket
        shutil.rmtree(work / folder)
    second = airnub("demo", "--port", port)

    assert first.exit_code == 0, first.stderr
    assert "11 stored, 0 unchanged, 0 duplicate, 0 failed" in first.stdout
    assert "4 built, 0 unchanged, 0 failed" in first.stdout
    assert "2 analysed, 0 unchanged, 0 failed" in first.stdout
    raw = [k for k in keys if k.endswith(".manifest.json")]
    assert len(raw) == 11 and not any(k.startswith(("processed/", "models/", "reports/")) for k in raw)
    assert {"processed/iris.parquet", "processed/iris.dataset.json", "reports/iris/report.html"} <= set(keys)
    assert {"models/wine/wine_logistic_regression.joblib", "reports/iris/report.md"} <= set(keys)
    assert len([k for k in keys if k.startswith("reports/figures/") and k.endswith(".png")]) == 6
    assert not [k for k in keys if "/." in k or k.startswith(".")]  # no temporary file, no raw cache
    assert sorted(f.rpartition("/")[2] for f in fetched) == [
        "breast_cancer.csv",
        "iris.csv",
        "records",
        "wine_data.csv",
    ]
    for shown in (
        f"Data dir        {s3_base}  (working copy: {work})",
        f"Manifest index  sqlite:///{index}",
        f"Dataset         {s3_base}/processed/iris.parquet  (150 rows, 0 quarantined)",
        f"Model           {s3_base}/models/wine/wine_logistic_regression.joblib",
        f"Figures         {s3_base}/reports/figures",
        f"Report          {s3_base}/reports/iris/report.html",
    ):
        assert shown in first.stdout, shown
    assert second.exit_code == 0, second.stderr
    assert "0 stored, 11 unchanged, 0 duplicate, 0 failed" in second.stdout
    assert "0 built, 4 unchanged, 0 failed" in second.stdout
    assert "0 analysed, 2 unchanged, 0 failed" in second.stdout
    assert sorted(info.key for info in Bucket(s3_base).list()) == keys
    assert (work / "processed" / "iris.parquet").is_file() and (work / "reports" / "iris" / "analysis.json").is_file()
