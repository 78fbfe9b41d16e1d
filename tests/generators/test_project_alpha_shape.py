"""Project Alpha has the shape `airnub new` generates: its config models and stage flows are what the generator
renders from its manifest, its stage flows run the categories the manifest lists, and `airnub new category
project_alpha ...` adds a category that a run then stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from airnub_prefect_starter.cli.main import app
from airnub_prefect_starter.core.departments import STAGES
from airnub_prefect_starter.generators.category import plan_category
from airnub_prefect_starter.generators.manifest import (
    config_models_text,
    read_manifest,
    stage_flow_text,
)
from airnub_prefect_starter.generators.naming import DepartmentNames
from airnub_prefect_starter.generators.plan import Action, ProjectLayout
from airnub_prefect_starter.tasks.stage_flows import category_flows
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.project_copy import REPO_ROOT, copy_project, run_python

ALPHA = REPO_ROOT / "flows" / "dept_project_alpha"
#: The Prefect names of Project Alpha's category flows (deployments, dashboards and runs know them).
FLOW_NAMES = {
    "scheduled_file_downloads": "Scheduled file downloads (Project Alpha)",
    "public_api_data": "Public API data (Project Alpha)",
    "web_page_link_scraping": "Web page link scraping (Project Alpha)",
    "tabular_files": "Tabular files (Project Alpha)",
    "api_records": "API records (Project Alpha)",
    "classification_reports": "Classification reports (Project Alpha)",
}
DEPT = DepartmentNames("project_alpha", "Project Alpha")


def test_project_alpha_is_what_the_generator_renders_from_its_manifest() -> None:
    manifest = read_manifest(ALPHA / "categories_dept_project_alpha.yaml", "project_alpha")

    assert (ALPHA / "config_models_dept_project_alpha.py").read_text() == config_models_text(DEPT, manifest)
    for stage in STAGES:
        assert (ALPHA / f"{stage}_flow_dept_project_alpha.py").read_text() == stage_flow_text(DEPT, stage), stage
        assert {c: f.name for c, f in category_flows("project_alpha", stage).items()} == {
            c: FLOW_NAMES[c] for c in manifest.categories(stage)
        }


def test_a_category_added_to_project_alpha_is_described_in_its_models_and_its_schema(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    models = root / "flows" / "dept_project_alpha" / "config_models_dept_project_alpha.py"

    plan = plan_category(
        ProjectLayout.at(root, root / "configs"), "project_alpha", "ingestion", "extra_files", "downloads"
    )

    assert plan.conflicts == []
    [change] = [c for c in plan.changes if c.path == models]
    assert change.action is Action.UPDATE and change.content is not None
    assert 'description="Category extra_files (kind downloads): skipped when absent.",' in change.content
    schema = root / "configs" / "schemas" / "dept_project_alpha" / "ingestion_config.schema.json"
    [written] = [c for c in plan.changes if c.path == schema]
    assert written.action is Action.UPDATE and written.content is not None and '"extra_files"' in written.content


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_category_added_to_project_alpha_stores_its_file(tmp_path: Path) -> None:
    from prefect.settings import get_current_settings

    api_url = str(get_current_settings().api.url)  # the session's test server: no second server to start
    root = copy_project(tmp_path / "project")
    body = b"day,value\nmon,1\ntue,2\n"
    with LoopbackHTTPServer() as source:
        url = source.serve("/extra/extra.csv", body=body, etag='"e1"')
        added = CliRunner().invoke(
            app,
            [
                *("new", "category", "project_alpha", "ingestion", "extra_files", "--kind", "downloads"),
                *("--url", url, "--project-dir", str(root)),
            ],
            env={"AIRNUB_CONFIG_DIR": str(root / "configs")},
            catch_exceptions=False,
        )
        assert added.exit_code == 0, added.output
        config = root / "configs/variables/dept_project_alpha/ingestion_config_dept_project_alpha.yaml"

        run = run_python(
            root,
            "-c",
            "from airnub_prefect_starter.cli.main import app; app()",
            "run",
            "project_alpha",
            "ingestion",
            "--config",
            str(config),
            "--category",
            "extra_files",
            "--json",
            AIRNUB_DATA_DIR=str(tmp_path / "data"),
            PREFECT_HOME=str(tmp_path / "prefect-home"),
            PREFECT_API_URL=api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
        )

    assert run.returncode == 0, run.stderr[-3000:]
    [item] = json.loads(run.stdout)["items"]
    assert (item["category"], item["name"], item["status"]) == ("extra_files", "extra", "stored")
    stored = Path(item["path"])
    assert stored.read_bytes() == body and stored.parent.name == sha256_hex(body)
    assert stored.is_relative_to(tmp_path / "data" / "dept_project_alpha" / "ingestion")
