"""Asset keys: a file of the data dir is keyed by where it lives for users: its ``s3://`` URL with the data dir (or
the base) on object storage, else ``file://`` and its absolute path. (The events themselves are read back from a
Prefect server in tests/flows/test_asset_events.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.tasks.assets import _asset, asset_key


def test_asset_key_of_a_local_data_dir_file_is_a_file_uri(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path / "data"))

    key = asset_key(settings.data_path("processed/iris.parquet"), settings)

    assert key == f"file://{tmp_path.resolve()}/data/processed/iris.parquet"


def test_asset_key_on_object_storage_is_the_objects_url(tmp_path: Path) -> None:
    settings = load_settings(data_dir="s3://lake/airnub", work_dir=tmp_path / "work", index_url="sqlite:///x.db")

    in_data_dir = asset_key(settings.data_path("processed/iris.parquet"), settings)
    other_bucket = asset_key(settings.data_path("s3://models/alpha/iris.joblib"), settings)

    assert in_data_dir == "s3://lake/airnub/processed/iris.parquet"
    assert other_bucket == "s3://models/alpha/iris.joblib"


REFUSED = ["file:///data dir/iris.parquet", "http://h/f.csv?token=REDACTED", "file:///" + "f" * 600, "/no/scheme"]


@pytest.mark.parametrize("key", REFUSED)
def test_a_location_prefect_refuses_as_an_asset_key_is_left_out(key: str) -> None:
    assert _asset(key) is None
    assert _asset("file:///data/iris.parquet") is not None
