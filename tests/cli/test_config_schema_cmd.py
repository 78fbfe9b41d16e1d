"""``airnub config schema`` writes the JSON Schemas (default: the config dir's schemas/ folder)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from airnub_prefect_starter.registry.models import all_department_models
from airnub_prefect_starter.registry.schemas import render_schema_files


def _expected() -> dict[str, str]:
    return render_schema_files(all_department_models())


def _written(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*.json")}


def test_config_schema_writes_every_schema_into_out_dir(airnub: Callable[..., Result], tmp_path: Path) -> None:
    out_dir = tmp_path / "out"

    result = airnub("config", "schema", "--out", str(out_dir))

    assert result.exit_code == 0, result.stderr
    assert _written(out_dir) == _expected()
    assert "dept_project_alpha/ingestion_config.schema.json" in _expected()
    assert result.stdout.count("wrote ") == len(_expected())


def test_config_schema_defaults_to_config_dir_and_keeps_current_files(
    airnub: Callable[..., Result], config_dir: Path
) -> None:
    schemas = config_dir / "schemas"
    stale = "dept_project_alpha/processing_config.schema.json"
    (schemas / stale).write_text("{}", encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in schemas.rglob("*.json") if p != schemas / stale}

    result = airnub("config", "schema")

    assert result.exit_code == 0, result.stderr
    assert f"wrote {schemas / stale}" in result.stdout
    assert result.stdout.count("unchanged ") == len(before)
    assert {p: p.stat().st_mtime_ns for p in schemas.rglob("*.json") if p != schemas / stale} == before
    assert (schemas / stale).read_text(encoding="utf-8") == _expected()[stale]


def test_config_schema_names_a_schema_no_model_writes(airnub: Callable[..., Result], config_dir: Path) -> None:
    left_over = config_dir / "schemas" / "ingestion_config.schema.json"  # where schemas lived before departments
    left_over.write_text("{}", encoding="utf-8")

    result = airnub("config", "schema")

    assert result.exit_code == 0, result.stderr
    assert f"stale {left_over} (no model writes it: delete it)" in result.stdout


def test_config_schema_names_the_first_line_a_stage_config_lacks(
    airnub: Callable[..., Result], config_dir: Path
) -> None:
    path = config_dir / "variables" / "dept_project_alpha" / "processing_config_dept_project_alpha.yaml"
    old_line = "# yaml-language-server: $schema=../../schemas/processing_config.schema.json\n"  # before departments
    path.write_text(old_line + "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[1:]))

    result = airnub("config", "schema")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("note ") == 1
    assert (
        f"note {path}: start it with `# yaml-language-server: $schema=../../schemas/dept_project_alpha/"
        "processing_config.schema.json` for editor completion and checks against its department's schema"
    ) in result.stdout
