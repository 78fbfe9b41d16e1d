"""``airnub config validate`` and ``airnub variables sync``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from prefect.variables import Variable

INGESTION = Path("variables/dept_project_alpha/ingestion_config_dept_project_alpha.yaml")
VARIABLE = "dept_project_alpha_ingestion_config"


def edit(config_dir: Path, change: Callable[[dict], None]) -> Path:
    path = config_dir / INGESTION
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    return path


def test_config_validate_accepts_the_shipped_configs(airnub: Callable[..., Result], config_dir: Path) -> None:
    result = airnub("config", "validate")

    assert result.exit_code == 0, result.stderr
    assert f"-> Variable {VARIABLE}" in result.stdout


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["scheduled_file_downloads"].update(files_to_aquire=[]),
            "scheduled_file_downloads.files_to_aquire: unknown key",
        ),
        (lambda d: d["http"].update(retries="many"), "http.retries: Input should be a valid integer"),
        (
            lambda d: d["public_api_data"]["apis_to_poll"][1].update(url="not a url"),
            "public_api_data.apis_to_poll[1].url: not a valid http(s) URL",
        ),
        (
            lambda d: d["scheduled_file_downloads"]["files_to_acquire"].extend(
                {"name": f"file{i}", "url": f"http://127.0.0.1:18765/files/{i}.csv"} for i in range(100)
            ),
            "over the 5000-character limit of a Prefect Variable",
        ),
        (
            lambda d: d["public_api_data"]["apis_to_poll"][1].update(url="https://u:S3cret@api.example.org/v1"),
            "public_api_data.apis_to_poll[1].url: https://REDACTED@api.example.org/v1 carries a credential",
        ),
        (
            lambda d: d["scheduled_file_downloads"]["files_to_acquire"][0].update(
                url="https://example.org/f.csv?page=2&api_key=S3cret"
            ),
            "files_to_acquire[0].url: https://example.org/f.csv?page=2&api_key=REDACTED carries a credential, which "
            "the Prefect Variable would store in Prefect's database: name a Secret block in the source's auth:",
        ),
    ],
    ids=["typo-key", "wrong-type", "bad-url", "oversize", "userinfo", "secret-query"],
)
def test_config_validate_names_file_and_key_of_a_broken_config(
    airnub: Callable[..., Result], config_dir: Path, change: Callable[[dict], None], expected: str
) -> None:
    path = edit(config_dir, change)

    result = airnub("config", "validate")

    assert result.exit_code == 2
    assert f"{path}: " in result.stderr and expected in result.stderr
    assert "S3cret" not in result.stdout + result.stderr


def test_variables_sync_refuses_everything_when_one_file_is_invalid(
    airnub: Callable[..., Result], config_dir: Path
) -> None:
    Variable.set(VARIABLE, {"before": True}, overwrite=True)
    edit(config_dir, lambda d: d["http"].update(retries=-1))

    result = airnub("variables", "sync", "--overwrite")

    assert result.exit_code == 2
    assert "http.retries: Input should be greater than or equal to 0" in result.stderr
    assert Variable.get(VARIABLE) == {"before": True}


def test_variables_sync_sets_shows_changes_and_respects_overwrite(
    airnub: Callable[..., Result], config_dir: Path
) -> None:
    Variable.set(VARIABLE, {"before": True}, overwrite=True)
    expected = yaml.safe_load((config_dir / INGESTION).read_text())

    without = airnub("variables", "sync")
    dry = airnub("variables", "sync", "--overwrite", "--dry-run")
    assert Variable.get(VARIABLE) == {"before": True}
    applied = airnub("variables", "sync", "--overwrite")
    again = airnub("variables", "sync")

    assert "differs" in without.stdout and "--overwrite" in without.stdout
    assert without.exit_code == 1 and f"not applied: {VARIABLE} differ" in without.stderr
    assert (dry.exit_code, applied.exit_code, again.exit_code) == (0, 0, 0)
    assert "would be updated" in dry.stdout and '"before": true' in dry.stderr
    assert "changed" in applied.stdout and Variable.get(VARIABLE) == expected
    assert f"unchanged  {VARIABLE}" in again.stdout


def test_config_validate_with_nothing_to_validate_exits_two(
    airnub: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRNUB_CONFIG_DIR", str(tmp_path / "no-configs-here"))

    result = airnub("config", "validate")

    assert result.exit_code == 2
    assert "nothing to validate: no config files under" in result.stderr
    assert not (tmp_path / "no-configs-here").exists()


def test_config_errors_suggest_the_closest_key(airnub: Callable[..., Result], config_dir: Path) -> None:
    path = config_dir / INGESTION
    path.write_text(path.read_text().replace("public_api_data:", "public_api_dta:"))

    result = airnub("config", "validate", str(path))

    assert result.exit_code == 2
    assert "public_api_dta: unknown key (did you mean 'public_api_data'?)" in result.stderr
