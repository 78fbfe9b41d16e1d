"""Settings: where a configured folder lands, the one rule every stage uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.common.settings import AirnubSettings


def test_data_path_puts_a_relative_base_under_the_resolved_data_dir(tmp_path: Path) -> None:
    settings = AirnubSettings(data_dir=tmp_path / "data" / ".." / "data")
    data_dir = (tmp_path / "data").resolve()

    assert settings.data_path("reports/figures") == data_dir / "reports" / "figures"
    assert settings.data_path(Path("processed")) == data_dir / "processed"


def test_data_path_keeps_an_absolute_base_and_expands_the_home_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    settings = AirnubSettings(data_dir=tmp_path / "data")

    assert settings.data_path(tmp_path / "elsewhere") == tmp_path / "elsewhere"
    assert settings.data_path("~/models") == tmp_path / "home" / "models"


def test_a_data_dir_on_object_storage_keeps_a_local_working_copy_and_places_bases_in_the_bucket(
    tmp_path: Path,
) -> None:
    index_url = f"sqlite:///{tmp_path / 'durable' / 'manifest_index.sqlite3'}"
    settings = AirnubSettings(data_dir="s3://bucket/team/", work_dir=tmp_path / "work", index_url=index_url)

    assert settings.data_url == "s3://bucket/team"
    assert settings.resolved_data_dir == (tmp_path / "work").resolve()
    assert settings.storage_location("project_alpha/downloads") == "s3://bucket/team/project_alpha/downloads"
    assert settings.storage_location("s3://other/raw/") == "s3://other/raw"
    assert settings.storage_location(str(tmp_path / "abs")) == str(tmp_path / "abs")
    assert settings.index_root == "s3://bucket/team"
    assert settings.resolved_index_url == index_url


def test_a_local_data_dir_places_bases_under_it(tmp_path: Path) -> None:
    settings = AirnubSettings(data_dir=tmp_path / "data")

    assert settings.data_url is None
    assert settings.storage_location("raw") == str((tmp_path / "data" / "raw").resolve())
    assert settings.index_root == (tmp_path / "data").resolve()
