"""``airnub config validate FILE`` for a file of any name (the copy docs/demo.md has the user make): the stage from
``--stage`` or the file's ``$schema`` line, the department's models with ``--department``, the same verdict as
``airnub run DEPT STAGE --config FILE``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from tests.support.project_copy import REPO_ROOT

SHIPPED = REPO_ROOT / "configs" / "variables" / "dept_project_alpha" / "ingestion_config_dept_project_alpha.yaml"


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_config_validate_accepts_a_copy_of_a_shipped_config_under_another_name(
    airnub: Callable[..., Result], tmp_path: Path
) -> None:
    copy = shutil.copy(SHIPPED, tmp_path / "my_ingestion.yaml")  # keeps its $schema line: the ingestion schema

    result = airnub("config", "validate", str(copy))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        f"ok {copy} -> ingestion config of dept_project_alpha"  # the department its $schema line names
    )


def test_config_validate_with_department_and_stage_accepts_a_file_without_a_schema_line(
    airnub: Callable[..., Result], tmp_path: Path
) -> None:
    plain = tmp_path / "plain.yml"
    plain.write_text(yaml.safe_dump(yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))), encoding="utf-8")

    result = airnub("config", "validate", "--department", "project_alpha", "--stage", "ingestion", str(plain))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"ok {plain} -> ingestion config of dept_project_alpha"


def test_config_validate_gives_the_verdict_of_run_config_for_an_invalid_file(
    airnub: Callable[..., Result], tmp_path: Path, data_dir: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scheduled_file_downloads:\n  data_source_name: x\n  local_artifacts_storage_base: d\n  files_to_aquire: []\n"
    )

    validated = airnub("config", "validate", "--department", "project_alpha", "--stage", "ingestion", str(bad))
    ran = airnub("run", "project_alpha", "ingestion", "--config", str(bad))

    assert validated.exit_code == ran.exit_code == 2
    [problem] = error_lines(validated)
    assert problem.startswith(f"invalid {bad}: ") and "scheduled_file_downloads.files_to_aquire: unknown key" in problem
    assert f"error: {problem.removeprefix('invalid ')}" in ran.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["{plain}"],
            "invalid {plain}: no stage given: pass --stage (ingestion, processing, analysis), or start the file with "
            "its schema line (# yaml-language-server: $schema=.../schemas/dept_<id>/<stage>_config.schema.json)",
        ),
        (
            ["--stage", "ingestion", "{plain}"],
            "invalid {plain}: no department given: pass --department, or start the file with its schema line "
            "(# yaml-language-server: $schema=.../schemas/dept_<id>/ingestion_config.schema.json)",
        ),
        (
            ["--stage", "processing", "{copy}"],
            "invalid {copy}: --stage processing, but its $schema line names the ingestion config schema",
        ),
        (
            ["--stage", "ingest", "{plain}"],
            "error: stage 'ingest': must be one of ingestion, processing, analysis (did you mean 'ingestion'?)",
        ),
        (
            ["--department", "project_alpah", "{plain}"],
            "error: --department: department 'project_alpah': unknown (did you mean 'project_alpha'?) "
            "(known: project_alpha)",
        ),
        (
            ["--stage", "ingestion"],
            "error: --department and --stage apply to the FILES given: name the files to validate",
        ),
    ],
    ids=[
        "no-stage",
        "no-department",
        "stage-against-schema-line",
        "unknown-stage",
        "unknown-department",
        "options-without-files",
    ],
)
def test_config_validate_names_what_is_missing_in_one_line(
    airnub: Callable[..., Result], tmp_path: Path, args: list[str], expected: str
) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("http:\n  retries: 1\n", encoding="utf-8")
    copy = shutil.copy(SHIPPED, tmp_path / "my_ingestion.yaml")

    result = airnub("config", "validate", *(a.format(plain=plain, copy=copy) for a in args))

    assert result.exit_code == 2
    assert error_lines(result) == [expected.format(plain=plain, copy=copy)]
