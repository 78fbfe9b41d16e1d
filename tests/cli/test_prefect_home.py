"""The Prefect home a command runs with: inside a checkout, the project's ``.prefect``, also when
``PREFECT_API_URL`` picks the server (local state such as results of failed runs then stays out of ``~/.prefect``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project checkout as the working directory, a user home without Prefect profiles, and the environment as
    it was after the test (the command sets Prefect's defaults in it)."""
    root = tmp_path / "checkout"
    for folder in ("flows", "configs"):
        (root / folder).mkdir(parents=True)
    (root / "configs" / "department_mapping.yaml").write_text("departments: {}\n", encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "data"))
    for name in ("PREFECT_HOME", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    try:
        yield root
    finally:
        os.environ.clear()
        os.environ.update(before)


def test_airnub_with_only_an_api_url_set_keeps_prefects_home_in_the_project(
    checkout: Path, airnub: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")

    result = airnub("manifest", "list")  # nothing to read: exit 2 without contacting any API

    assert result.exit_code == 2, result.stderr
    assert os.environ["PREFECT_HOME"] == str(checkout / ".prefect")
    assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:9/api"


def test_airnub_with_a_prefect_home_chosen_by_the_user_keeps_it(
    checkout: Path, airnub: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "mine"))

    result = airnub("manifest", "list")

    assert result.exit_code == 2, result.stderr
    assert os.environ["PREFECT_HOME"] == str(tmp_path / "mine")


def test_airnub_with_an_api_url_set_and_the_api_auth_in_the_users_profile_keeps_the_users_home(
    checkout: Path, airnub: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    profiles = tmp_path / "user" / ".prefect" / "profiles.toml"
    profiles.parent.mkdir(parents=True)
    profiles.write_text('active = "server"\n[profiles.server]\nPREFECT_API_AUTH_STRING = "admin:pass"\n')
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")

    result = airnub("manifest", "list")

    assert result.exit_code == 2, result.stderr
    assert "PREFECT_HOME" not in os.environ  # Prefect's own: ~/.prefect, with the profile holding the credentials
    assert not (checkout / ".prefect").exists()
