"""``airnub config schema`` writes the JSON Schemas (default: the config dir's schemas/ folder)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from airnub_prefect_starter.registry.schemas import render_schema_files


def test_config_schema_writes_every_schema_into_out_dir(airnub: Callable[..., Result], tmp_path: Path) -> None:
    out_dir = tmp_path / "out"

    result = airnub("config", "schema", "--out", str(out_dir))

    assert result.exit_code == 0, result.stderr
    assert {p.name: p.read_text(encoding="utf-8") for p in out_dir.iterdir()} == render_schema_files()
    assert result.stdout.count("wrote ") == len(render_schema_files())


def test_config_schema_defaults_to_config_dir_and_keeps_current_files(
    airnub: Callable[..., Result], config_dir: Path
) -> None:
    schemas = config_dir / "schemas"
    stale = next(iter(render_schema_files()))
    (schemas / stale).write_text("{}", encoding="utf-8")
    before = {p.name: p.stat().st_mtime_ns for p in schemas.iterdir() if p.name != stale}

    result = airnub("config", "schema")

    assert result.exit_code == 0, result.stderr
    assert f"wrote {schemas / stale}" in result.stdout
    assert result.stdout.count("unchanged ") == len(before)
    assert {p.name: p.stat().st_mtime_ns for p in schemas.iterdir() if p.name != stale} == before
    assert (schemas / stale).read_text(encoding="utf-8") == render_schema_files()[stale]
