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
