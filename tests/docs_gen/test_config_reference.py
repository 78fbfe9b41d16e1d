"""The configuration reference: generated from every department's own models, complete, described, and committed."""

from __future__ import annotations

import subprocess
import sys

from pydantic import BaseModel, Field

from airnub_prefect_starter.core.http.policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.docs_gen.config_reference import (
    all_config_models,
    render_config_reference,
    undocumented_fields,
    walk_models,
)
from airnub_prefect_starter.registry.models import all_department_models
from flows.dept_project_alpha.config_models_dept_project_alpha import STAGE_CONFIG_MODELS
from tests.support.project_copy import REPO_ROOT

COMMITTED = REPO_ROOT / "docs" / "reference" / "config.md"
DEPARTMENTS = all_department_models()


def _section(page: str, model: type[BaseModel]) -> str:
    """The text of ``model``'s section, up to the next heading of the same or a higher level."""
    start = page.index(f"### {model.__name__} ")
    ends = [i for i in (page.find("\n## ", start), page.find("\n### ", start + 1)) if i != -1]
    return page[start : min(ends)] if ends else page[start:]


def test_committed_config_reference_matches_the_models() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render_config_reference(DEPARTMENTS), (
        "docs/reference/config.md is out of date: run `make docs` and commit the result"
    )


def test_every_config_field_has_a_description() -> None:
    assert undocumented_fields(all_config_models(DEPARTMENTS)) == []


def test_undocumented_fields_finds_a_nested_field_without_description() -> None:
    class Leaf(BaseModel):
        value: int

    class Inner(BaseModel):
        """Documented model."""

        leaves: dict[str, list[Leaf]] = Field(description="Nested twice.")
        note: str | None = None

    class Outer(BaseModel):
        """Documented root."""

        inner: Inner | None = Field(default=None, description="Optional nested model.")

    assert undocumented_fields([Outer]) == ["Inner.note", "Leaf (class docstring)", "Leaf.value"]


def test_config_reference_has_a_row_for_every_field_of_every_registered_model() -> None:
    page = render_config_reference(DEPARTMENTS)
    models = walk_models(STAGE_CONFIG_MODELS.values())

    assert {"IngestionStageConfig", "HttpOverrides", "FileToAcquire"} <= {m.__name__ for m in models}
    for model in models:
        section = _section(page, model)
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in section, f"{model.__name__}.{name} has no row"


def test_config_reference_shows_type_default_constraints_and_description() -> None:
    page = render_config_reference(DEPARTMENTS)

    assert (
        "| `batch_size` | int or null | `null` | ≥ 1; ≤ 10000 | Items per Prefect task; unset: one task for up to "
        "1000 items (more: the fewest tasks of at most 1000 items each). |"
        in _section(page, STAGE_CONFIG_MODELS["ingestion"])
    )
    assert "| `files_to_acquire` | list of [FileToAcquire](#filetoacquire) | required |" in page
    assert '| `kind` | `"threads"` or `"dask"` | `"threads"` |' in page


def test_config_reference_shows_the_policy_default_for_unset_http_overrides() -> None:
    section = _section(render_config_reference(DEPARTMENTS), HttpOverrides)
    default = HttpPolicy().connect_timeout_s

    assert f"| `connect_timeout_s` | float or null | `{default}` | > 0 |" in section


def test_config_reference_picks_up_a_newly_registered_stage_model() -> None:
    class ReportingStageConfig(BaseModel):
        """The Variable ``dept_<id>_reporting_config``."""

        http: HttpOverrides | None = Field(default=None, description="HTTP policy.")
        recipients: list[str] = Field(min_length=1, description="Who gets the report.")

    page = render_config_reference({**DEPARTMENTS, "gamma": {"reporting": ReportingStageConfig}})

    assert "## `dept_gamma`: stage `reporting` {#dept-gamma-reporting}" in page
    assert "`configs/schemas/dept_gamma/reporting_config.schema.json`" in page
    assert "| `recipients` | list of str | required | at least one item | Who gets the report. |" in page
    assert page.count("### HttpOverrides ") == 1  # shared models are documented once


def test_config_reference_module_imports_no_prefect() -> None:
    code = "import sys, airnub_prefect_starter.docs_gen.config_reference; sys.exit('prefect' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=False).returncode == 0
