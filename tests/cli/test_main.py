"""Where a bare `airnub` keeps Prefect's state: the project's `.prefect` unless the user chose otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.cli.main import bypass_proxy_for_loopback, default_prefect_home
from airnub_prefect_starter.common.project import find_project_root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    for folder in ("flows", "configs", "docs"):
        (root / folder).mkdir(parents=True)
    (root / "configs" / "department_mapping.yaml").write_text("departments: {}\n", encoding="utf-8")
    return root


def test_inside_a_checkout_the_projects_prefect_home_is_the_default(project: Path, tmp_path: Path) -> None:
    assert find_project_root(project / "docs") == project
    assert default_prefect_home(project / "docs", {}, tmp_path / "user") == project / ".prefect"
    assert default_prefect_home(tmp_path, {}, tmp_path / "user") is None  # not a checkout


@pytest.mark.parametrize(
    "environ", [{"PREFECT_HOME": "/h"}, {"PREFECT_PROFILE": "work"}, {"PREFECT_PROFILES_PATH": "/p/profiles.toml"}]
)
def test_a_home_or_a_profile_chosen_by_the_user_wins(project: Path, tmp_path: Path, environ: dict[str, str]) -> None:
    assert default_prefect_home(project, environ, tmp_path / "user") is None


def test_default_prefect_home_stays_in_the_project_when_only_an_api_url_is_set(project: Path, tmp_path: Path) -> None:
    environ = {"PREFECT_API_URL": "http://prefect.example/api"}

    assert default_prefect_home(project / "docs", environ, tmp_path / "user") == project / ".prefect"
    assert default_prefect_home(project, {**environ, "PREFECT_HOME": "/h"}, tmp_path / "user") is None


def test_an_active_profile_with_an_api_url_keeps_the_users_home(project: Path, tmp_path: Path) -> None:
    profiles = tmp_path / "user" / ".prefect" / "profiles.toml"
    profiles.parent.mkdir(parents=True)
    profiles.write_text('active = "work"\n[profiles.work]\nPREFECT_API_URL = "http://prefect.example/api"\n')

    assert default_prefect_home(project, {}, tmp_path / "user") is None
    profiles.write_text('active = "local"\n[profiles.local]\nPREFECT_LOGGING_LEVEL = "DEBUG"\n')
    assert default_prefect_home(project, {}, tmp_path / "user") == project / ".prefect"


@pytest.mark.parametrize(
    "setting",
    [
        'PREFECT_API_KEY = "pnu_secret"',
        'PREFECT_API_AUTH_STRING = "admin:pass"',
        'PREFECT_API_SSL_CERT_FILE = "/etc/ssl/prefect.pem"',
        'PREFECT_CLIENT_CUSTOM_HEADERS = \'{"X-Proxy-Token": "t"}\'',
    ],
)
def test_default_prefect_home_keeps_the_users_home_when_their_profile_holds_api_settings_without_the_url(
    project: Path, tmp_path: Path, setting: str
) -> None:
    profiles = tmp_path / "user" / ".prefect" / "profiles.toml"
    profiles.parent.mkdir(parents=True)
    profiles.write_text(f'active = "self-hosted"\n[profiles.self-hosted]\n{setting}\n')
    environ = {"PREFECT_API_URL": "http://prefect.example/api"}

    assert default_prefect_home(project, environ, tmp_path / "user") is None


@pytest.mark.parametrize("proxy", ["HTTP_PROXY", "https_proxy", "ALL_PROXY"])
def test_with_a_proxy_set_loopback_hosts_are_added_to_no_proxy_once(proxy: str) -> None:
    environ = {proxy: "http://proxy.example:3128", "NO_PROXY": "internal.example"}

    bypass_proxy_for_loopback(environ)
    bypass_proxy_for_loopback(environ)

    assert environ["NO_PROXY"] == "internal.example,127.0.0.1,localhost,::1"
    assert environ["no_proxy"] == "127.0.0.1,localhost,::1"


def test_without_a_proxy_no_proxy_is_left_alone() -> None:
    environ = {"NO_PROXY": "x"}

    bypass_proxy_for_loopback(environ)

    assert environ == {"NO_PROXY": "x"}
