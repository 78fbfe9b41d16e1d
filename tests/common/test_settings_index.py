"""Which manifest index the settings name, and how it is shown to users."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from airnub_prefect_starter.common.settings import AirnubSettings


def test_settings_refuse_a_data_dir_on_object_storage_without_an_index_url(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as raised:
        AirnubSettings(data_dir="s3://bucket/team", work_dir=tmp_path / "work")

    [problem] = raised.value.errors(include_url=False)
    assert problem["loc"] == ("index_url",)
    assert problem["msg"].startswith("required with the data dir on object storage (s3://bucket/team)")
    assert "postgresql+psycopg://user@host/airnub" in problem["msg"]


def test_settings_accept_a_data_dir_on_object_storage_with_the_index_url_in_a_secret_block() -> None:
    settings = AirnubSettings(data_dir="s3://bucket/team", index_url_secret_block="airnub-index-url")

    assert settings.index_shown == "the URL in Secret block 'airnub-index-url'"
    with pytest.raises(ValueError, match=r"^AIRNUB_INDEX_URL: required with the data dir on object storage"):
        _ = settings.resolved_index_url  # flow runs read the block first (tasks.secrets.flow_settings)


def test_settings_show_the_index_url_without_its_password() -> None:
    settings = AirnubSettings(data_dir="s3://bucket/team", index_url="postgresql+psycopg://me:pa55word@db:5432/airnub")

    assert settings.index_shown == "postgresql+psycopg://REDACTED@db:5432/airnub"
    assert settings.resolved_index_url == "postgresql+psycopg://me:pa55word@db:5432/airnub"


def test_settings_keep_the_default_sqlite_index_in_a_local_data_dir(tmp_path: Path) -> None:
    settings = AirnubSettings(data_dir=tmp_path / "data")

    assert (
        settings.index_shown
        == settings.resolved_index_url
        == f"sqlite:///{tmp_path / 'data' / 'manifest_index.sqlite3'}"
    )
