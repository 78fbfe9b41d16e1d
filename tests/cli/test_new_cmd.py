"""``airnub new``: what each command writes, dry runs, idempotence, refusals (exit 2, nothing written)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.http.fetch import build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.demo.catalog import WINE_RECORDS_API_PATH, load_demo_catalog
from airnub_prefect_starter.ingestion.config import FileToAcquire, ScrapeConfig
from airnub_prefect_starter.ingestion.downloads import IngestContext, download_hash_store_and_manifest
from tests.support.http_server import LoopbackHTTPServer
from tests.support.project_copy import copy_project, run_python, tree_fingerprint

PREFECT_YAML = """\
# Deployments of the project.
name: project
pull:
  - airnub_prefect_starter.tasks.pull_steps.enter_project_dir: {}

definitions:
  work_pools:
    airnub_process: &airnub_process
      name: airnub-process

deployments:
  - name: project_alpha-ingestion
    entrypoint: flows/dept_project_alpha/ingestion_flow_dept_project_alpha.py:ingestion_flow_dept_project_alpha
    tags: [project_alpha, ingestion]
    work_pool: *airnub_process
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(tmp_path / "project")
    (root / "prefect.yaml").write_text(PREFECT_YAML, encoding="utf-8")
    monkeypatch.setenv("AIRNUB_CONFIG_DIR", str(root / "configs"))
    return root


@pytest.fixture
def new(airnub: Callable[..., Result], project: Path) -> Callable[..., Result]:
    def invoke(*args: str) -> Result:
        return airnub("new", *args, "--project-dir", str(project))

    return invoke


def file_lines(result: Result) -> list[tuple[str, str]]:
    """``(action, path)`` per file line, e.g. ``("would create", "flows/dept_beta/__init__.py")``."""
    found = []
    for line in result.stdout.splitlines():
        if not line.startswith(" "):
            continue
        action, _, rest = line.strip().partition("  ")
        found.append((action, rest.strip().split("  (")[0]))
    return found


def test_new_department_dry_run_lists_the_files_and_writes_nothing(new: Callable[..., Result], project: Path) -> None:
    before = tree_fingerprint(project)

    result = new("department", "beta", "--name", "Beta Team", "--dry-run")

    assert result.exit_code == 0, result.stderr
    lines = file_lines(result)
    assert ("would create", "flows/dept_beta/ingestion_flow_dept_beta.py") in lines
    assert ("would create", "configs/variables/dept_beta/analysis_config_dept_beta.yaml") in lines
    assert ("would create", "tests/flows/dept_beta/test_stage_flows_dept_beta.py") in lines
    assert ("would update", "configs/department_mapping.yaml") in lines
    assert ("would update", "prefect.yaml") in lines
    assert "nothing written" in result.stdout
    assert tree_fingerprint(project) == before


def test_new_department_twice_reports_everything_unchanged(new: Callable[..., Result], project: Path) -> None:
    first = new("department", "beta", "--name", "Beta Team")
    after_first = tree_fingerprint(project)

    second = new("department", "beta", "--name", "Beta Team")

    assert first.exit_code == 0 and second.exit_code == 0, second.stderr
    assert {action for action, _ in file_lines(second)} == {"unchanged"}
    assert len(file_lines(second)) == len(file_lines(first))
    assert "unchanged: all" in second.stdout and "nothing written" in second.stdout
    assert tree_fingerprint(project) == after_first


@pytest.mark.parametrize(
    ("department", "expected"),
    [
        ("project_alpha", "flows/dept_project_alpha/__init__.py exists and differs"),
        ("9lives", "must be a lower-case Python identifier"),
        ("class", "not a keyword"),
        ("has-dash", "must be a lower-case Python identifier"),
    ],
)
def test_new_department_refuses_an_existing_or_invalid_id_and_writes_nothing(
    new: Callable[..., Result], project: Path, department: str, expected: str
) -> None:
    before = tree_fingerprint(project)

    result = new("department", department)

    assert result.exit_code == 2
    assert expected in result.stderr
    assert tree_fingerprint(project) == before


def test_new_department_registers_mapping_entry_and_deployments_by_adding_lines(
    new: Callable[..., Result], project: Path
) -> None:
    mapping_before = (project / "configs" / "department_mapping.yaml").read_text(encoding="utf-8")

    result = new("department", "beta", "--name", "Beta Team", "--description", "Weather stations")

    assert result.exit_code == 0, result.stderr
    mapping = (project / "configs" / "department_mapping.yaml").read_text(encoding="utf-8")
    assert mapping == mapping_before + "  beta:\n    display_name: Beta Team\n    description: Weather stations\n"
    text = (project / "prefect.yaml").read_text(encoding="utf-8")
    added = [line for line in difflib.ndiff(PREFECT_YAML.splitlines(), text.splitlines()) if line[0] in "+-"]
    assert all(line.startswith("+ ") for line in added)
    assert text.count("work_pool: *airnub_process") == 4
    deployments = {d["name"]: d for d in yaml.safe_load(text)["deployments"]}
    assert set(deployments) == {"project_alpha-ingestion", "beta-ingestion", "beta-processing", "beta-analysis"}
    assert deployments["beta-processing"]["entrypoint"] == (
        "flows/dept_beta/processing_flow_dept_beta.py:processing_flow_dept_beta"
    )
    assert deployments["beta-analysis"]["work_pool"] == {"name": "airnub-process"}
    [trigger] = deployments["beta-processing"]["triggers"]
    assert (trigger["match"], trigger["expect"]) == (
        {"prefect.resource.id": "airnub.department.beta"},
        ["airnub.objects.stored"],
    )


def test_new_department_skips_prefect_yaml_when_there_is_none(new: Callable[..., Result], project: Path) -> None:
    (project / "prefect.yaml").unlink()

    result = new("department", "beta")

    assert result.exit_code == 0, result.stderr
    assert ("skip", "prefect.yaml") in file_lines(result)
    assert "not found: no deployments added" in result.stdout
    assert not (project / "prefect.yaml").exists()


def test_new_category_wires_the_flow_model_and_config_section(new: Callable[..., Result], project: Path) -> None:
    assert new("department", "beta").exit_code == 0

    result = new(
        "category", "beta", "ingestion", "reports", "--kind", "downloads", "--url", "http://127.0.0.1:9/r/daily.csv"
    )

    assert result.exit_code == 0, result.stderr
    flows = project / "flows" / "dept_beta"
    assert yaml.safe_load((flows / "categories_dept_beta.yaml").read_text())["stages"]["ingestion"] == {
        "reports": "downloads"
    }
    models = (flows / "config_models_dept_beta.py").read_text()
    assert "    reports: DownloadsConfig | None = Field(\n" in models
    category = (flows / "ingestion" / "reports" / "download_reports_flow_dept_beta.py").read_text()
    assert (
        'download_reports_flow_dept_beta = category_flow(\n    DOWNLOADS,\n    DEPARTMENT,\n    "reports",\n'
        in category
    )
    assert sorted(p.name for p in (flows / "ingestion" / "reports").iterdir()) == ["download_reports_flow_dept_beta.py"]
    config_file = project / "configs" / "variables" / "dept_beta" / "ingestion_config_dept_beta.yaml"
    text = config_file.read_text()
    assert text.startswith(
        "# yaml-language-server: $schema=../../schemas/dept_beta/ingestion_config.schema.json\n"
        "# Prefect Variable: dept_beta_ingestion_config"
    )
    schema = json.loads((project / "configs/schemas/dept_beta/ingestion_config.schema.json").read_text())
    assert "reports" in schema["properties"]  # written again with the new section
    assert "\n# Category reports (--kind downloads), added by `airnub new category`\nreports:\n" in text
    assert yaml.safe_load(text)["reports"] == {
        "data_source_name": "beta_reports",
        "local_artifacts_storage_base": "dept_beta/ingestion",
        "http": {"allow_private_networks": True},
        "files_to_acquire": [{"name": "daily", "url": "http://127.0.0.1:9/r/daily.csv"}],
    }
    test_module = project / "tests/flows/dept_beta/ingestion/reports/test_download_reports_flow_dept_beta.py"
    assert "def test_downloads_land_in_the_cas_then_come_back_unchanged(" in test_module.read_text()


def test_new_category_scrape_follows_links_on_the_pages_host_only(new: Callable[..., Result], project: Path) -> None:
    assert new("department", "beta").exit_code == 0

    result = new("category", "beta", "ingestion", "pages", "--kind", "scrape")

    assert result.exit_code == 0, result.stderr
    config_file = project / "configs" / "variables" / "dept_beta" / "ingestion_config_dept_beta.yaml"
    section = ScrapeConfig.model_validate(yaml.safe_load(config_file.read_text())["pages"])
    assert section.follow_links is not None and section.follow_links.same_host is True


def test_new_category_twice_reports_everything_unchanged(new: Callable[..., Result], project: Path) -> None:
    assert new("department", "beta").exit_code == 0
    assert new("category", "beta", "ingestion", "checks", "--kind", "custom").exit_code == 0
    after_first = tree_fingerprint(project)

    again = new("category", "beta", "ingestion", "checks", "--kind", "custom")

    assert again.exit_code == 0, again.stderr
    assert {action for action, _ in file_lines(again)} == {"unchanged"}
    assert tree_fingerprint(project) == after_first


def test_new_category_refuses_a_department_the_generator_did_not_make(
    new: Callable[..., Result], project: Path
) -> None:
    (project / "flows" / "dept_gamma").mkdir()
    (project / "flows" / "dept_gamma" / "__init__.py").write_text('DEPARTMENT = "gamma"\n')
    before = tree_fingerprint(project)

    result = new("category", "gamma", "ingestion", "extra", "--kind", "api")

    assert result.exit_code == 2
    assert "department 'gamma' was not made by `airnub new department`" in result.stderr
    assert tree_fingerprint(project) == before


def test_new_category_refuses_ingestion_kinds_in_the_later_stages(new: Callable[..., Result], project: Path) -> None:
    assert new("department", "beta").exit_code == 0
    before = tree_fingerprint(project)

    result = new("category", "beta", "processing", "station_api", "--kind", "api")

    assert result.exit_code == 2
    assert "kind 'api': must be one of tabular (the kinds of a processing category)" in result.stderr
    assert tree_fingerprint(project) == before


def test_new_category_of_the_later_stages_names_what_it_reads(
    new: Callable[..., Result], project: Path, data_dir: Path
) -> None:
    assert new("department", "beta").exit_code == 0
    assert new("category", "beta", "ingestion", "files", "--url", "http://127.0.0.1:9/a.csv").exit_code == 0
    before = tree_fingerprint(project)

    no_input = new("category", "beta", "processing", "rows")
    not_stored = new("category", "beta", "processing", "rows", "--input", "files")
    unknown = new("category", "beta", "processing", "rows", "--input", "pages")
    undeclared = new("category", "beta", "analysis", "summary", "--dataset", "rows")

    assert no_input.exit_code == 2 and "--kind tabular reads an ingestion category: give --input" in no_input.stderr
    assert not_stored.exit_code == 2 and "--input files: nothing stored yet (run `airnub run beta" in not_stored.stderr
    assert unknown.exit_code == 2 and "the ingestion config of beta has no category 'pages'" in unknown.stderr
    assert undeclared.exit_code == 2
    assert "--dataset rows: not declared in the processing config of beta" in undeclared.stderr
    assert tree_fingerprint(project) == before


@pytest.mark.parametrize("block_holds_url", [True, False], ids=["block-names-an-empty-index", "no-such-block"])
def test_new_category_input_reads_the_index_url_from_the_secret_block_when_the_data_dir_is_on_object_storage(
    new: Callable[..., Result], project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_holds_url: bool
) -> None:
    from prefect.blocks.system import Secret

    assert new("department", "beta").exit_code == 0
    assert new("category", "beta", "ingestion", "files", "--url", "http://127.0.0.1:9/a.csv").exit_code == 0
    before = tree_fingerprint(project)
    block = f"new-cmd-index-{block_holds_url}".lower()
    if block_holds_url:
        Secret(value=f"sqlite:///{tmp_path / 'durable' / 'index.sqlite3'}").save(block, overwrite=True)
    monkeypatch.setenv("AIRNUB_DATA_DIR", "s3://airnub-test/data")
    monkeypatch.setenv("AIRNUB_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.delenv("AIRNUB_INDEX_URL", raising=False)
    monkeypatch.setenv("AIRNUB_INDEX_URL_SECRET_BLOCK", block)

    result = new("category", "beta", "processing", "rows", "--input", "files")

    assert result.exit_code == 2
    expected = (
        "error: --input files: nothing stored yet (run `airnub run beta ingestion` first)"
        if block_holds_url
        else f"error: AIRNUB_INDEX_URL_SECRET_BLOCK: Secret block '{block}' was not found (see `airnub blocks setup`)"
    )
    assert result.stderr.splitlines() == [expected]
    assert tree_fingerprint(project) == before


def test_new_category_adds_to_project_alpha_and_keeps_its_hand_written_categories(
    new: Callable[..., Result], project: Path
) -> None:
    result = new("category", "project_alpha", "ingestion", "extra_files", "--url", "http://127.0.0.1:9/x/extra.csv")

    assert result.exit_code == 0, result.stderr
    flows = project / "flows" / "dept_project_alpha"
    manifest = yaml.safe_load((flows / "categories_dept_project_alpha.yaml").read_text())
    assert list(manifest["stages"]["ingestion"]) == [
        "scheduled_file_downloads",
        "public_api_data",
        "web_page_link_scraping",
        "extra_files",
    ]
    assert manifest["stages"]["processing"]["tabular_files"]["kind"] == "tabular"
    assert (flows / "ingestion" / "extra_files" / "download_extra_files_flow_dept_project_alpha.py").is_file()
    models = (flows / "config_models_dept_project_alpha.py").read_text()
    assert "    extra_files: DownloadsConfig | None = Field(\n" in models
    assert "    tabular_files: TabularConfig | None = Field(\n" in models


def test_new_category_refuses_to_regenerate_a_category_with_its_own_flow_module(
    new: Callable[..., Result], project: Path
) -> None:
    before = tree_fingerprint(project)

    result = new("category", "project_alpha", "ingestion", "scheduled_file_downloads", "--kind", "downloads")

    assert result.exit_code == 2
    assert (
        "category 'scheduled_file_downloads' of ingestion exists with --kind downloads and its own flow module "
        "download_scheduled_files_flow_dept_project_alpha"
    ) in result.stderr
    assert tree_fingerprint(project) == before


def test_new_category_refuses_another_kind_for_an_existing_category(new: Callable[..., Result], project: Path) -> None:
    assert new("department", "beta").exit_code == 0
    assert new("category", "beta", "ingestion", "reports", "--kind", "api").exit_code == 0
    before = tree_fingerprint(project)

    result = new("category", "beta", "ingestion", "reports", "--kind", "scrape")

    assert result.exit_code == 2
    assert "category 'reports' of ingestion exists with --kind api" in result.stderr
    assert tree_fingerprint(project) == before


def test_new_category_refuses_a_department_generated_with_wiring_modules_naming_the_fix(
    new: Callable[..., Result], project: Path
) -> None:
    assert new("department", "beta").exit_code == 0
    old_wiring = project / "flows" / "dept_beta" / "ingestion" / "categories_dept_beta.py"
    old_wiring.parent.mkdir()
    old_wiring.write_text("CATEGORY_FLOWS = {}\n")
    before = tree_fingerprint(project)

    result = new("category", "beta", "ingestion", "reports")

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: flows/dept_beta/ingestion/categories_dept_beta.py: department 'beta' was generated before stage "
        "flows read the manifest: write its stage flows in the current form and delete its "
        "<stage>/categories_dept_<id>.py (docs/extending.md)"
    ]
    assert tree_fingerprint(project) == before


def test_new_category_does_not_overwrite_hand_edited_config_models(new: Callable[..., Result], project: Path) -> None:
    assert new("department", "beta").exit_code == 0
    models = project / "flows" / "dept_beta" / "config_models_dept_beta.py"
    models.write_text(models.read_text() + "# my change\n")
    before = tree_fingerprint(project)

    result = new("category", "beta", "ingestion", "reports")

    assert result.exit_code == 2
    assert "flows/dept_beta/config_models_dept_beta.py was edited by hand" in result.stderr
    assert tree_fingerprint(project) == before


def test_new_category_refuses_an_invalid_url_and_kind(new: Callable[..., Result], project: Path) -> None:
    assert new("department", "beta").exit_code == 0
    before = tree_fingerprint(project)

    bad_url = new("category", "beta", "ingestion", "reports", "--url", "ftp://example.org/x.csv")
    bad_kind = new("category", "beta", "ingestion", "reports", "--kind", "ftp")

    assert (bad_url.exit_code, bad_kind.exit_code) == (2, 2)
    assert "--url ftp://example.org/x.csv: url: not a valid http(s) URL" in bad_url.stderr
    assert "kind 'ftp': must be one of downloads, api, scrape, custom" in bad_kind.stderr
    assert tree_fingerprint(project) == before


def test_new_task_writes_a_stub_a_wrapper_and_a_strict_xfail_test(new: Callable[..., Result], project: Path) -> None:
    assert new("department", "beta").exit_code == 0
    assert new("category", "beta", "ingestion", "reports").exit_code == 0

    result = new("task", "beta", "ingestion", "reports", "summarise_rows")

    assert result.exit_code == 0, result.stderr
    category = project / "flows" / "dept_beta" / "ingestion" / "reports"
    stub = (category / "core" / "summarise_rows_dept_beta.py").read_text()
    assert 'raise NotImplementedError(f"implement summarise_rows in {__name__}")' in stub
    wrapper = (category / "tasks" / "summarise_rows_task_dept_beta.py").read_text()
    assert "def summarise_rows_task_dept_beta(paths: list[Path]) -> list[step.SummariseRowsResult]:" in wrapper
    test = (project / "tests/flows/dept_beta/ingestion/reports/test_summarise_rows_dept_beta.py").read_text()
    assert "@pytest.mark.xfail(\n    strict=True,\n    raises=NotImplementedError," in test
    assert 'reason=f"implement summarise_rows in {step.__name__}",' in test
    assert "next: implement summarise_rows" in result.stdout
    assert ".venv/bin/python -m pytest tests/flows/dept_beta/ingestion/reports/test_summarise_rows" in result.stdout


def test_new_task_refuses_a_category_that_does_not_exist(new: Callable[..., Result], project: Path) -> None:
    before = tree_fingerprint(project)

    result = new("task", "project_alpha", "ingestion", "nowhere", "summarise_rows")

    assert result.exit_code == 2
    assert "category 'nowhere' of ingestion not found" in result.stderr
    assert tree_fingerprint(project) == before


def test_new_wiring_follows_a_hand_edited_manifest_and_later_categories_keep_it(
    new: Callable[..., Result], project: Path
) -> None:
    assert new("department", "beta").exit_code == 0
    manifest = project / "flows" / "dept_beta" / "categories_dept_beta.yaml"
    manual = (
        "  processing:\n    tables:\n      kind: manual\n      flow: parse_tables_flow_dept_beta\n"
        "      model: airnub_prefect_starter.processing.config.TabularFilesConfig\n"
    )
    manifest.write_text(manifest.read_text().replace("  processing: {}\n", manual))

    lagging = new("category", "beta", "ingestion", "reports")
    wired = new("wiring", "beta")
    again = new("wiring", "beta")
    added = new("category", "beta", "ingestion", "reports")

    assert lagging.exit_code == 2 and "was edited by hand" in lagging.stderr
    assert wired.exit_code == 0, wired.stderr
    flows = project / "flows" / "dept_beta"
    models = (flows / "config_models_dept_beta.py").read_text()
    assert "    tables: TabularFilesConfig | None = Field(\n" in models
    assert {action for action, _ in file_lines(again)} == {"unchanged"}
    assert added.exit_code == 0, added.stderr
    assert "    tables: TabularFilesConfig | None = Field(\n" in (flows / "config_models_dept_beta.py").read_text()


ROWS_DECLARATION = """
rows_section:
  datasets:
    - name: rows
      input: {data_source_name: beta_files, name: files}
      format: csv
      schema:
        columns:
          - {name: items, type: int}
          - {name: amount, type: float}
          - {name: channel, type: category}
          - {name: ordered_on, type: date}
"""


@pytest.mark.parametrize(
    ("target", "section"),
    [
        (
            (),
            "    - name: rows  # declared by processing category rows_section\n    # no target: descriptive statistics",
        ),
        (
            ("--target", "amount"),
            "      target: amount  # a float column: a regression of it on the int, float and bool columns\n"
            "      model: random_forest  # or linear_regression\n",
        ),
        (("--target", "channel"), "      target: channel  # the column a classifier predicts"),
    ],
    ids=["no-target", "float-target", "category-target"],
)
def test_new_report_category_analyses_without_a_target_or_regresses_a_float_one(
    new: Callable[..., Result], project: Path, target: tuple[str, ...], section: str
) -> None:
    assert new("department", "beta").exit_code == 0
    processing = project / "configs" / "variables" / "dept_beta" / "processing_config_dept_beta.yaml"
    processing.write_text(processing.read_text(encoding="utf-8") + ROWS_DECLARATION, encoding="utf-8")

    result = new("category", "beta", "analysis", "summary", "--kind", "report", "--dataset", "rows", *target)

    assert result.exit_code == 0, result.stderr
    analysis = (project / "configs" / "variables" / "dept_beta" / "analysis_config_dept_beta.yaml").read_text()
    assert section in analysis
    [declared] = yaml.safe_load(analysis)["summary"]["datasets"]
    assert declared.get("target") == (target[1] if target else None)


def test_new_report_category_refuses_a_date_target_naming_dataset_and_column(
    new: Callable[..., Result], project: Path
) -> None:
    assert new("department", "beta").exit_code == 0
    processing = project / "configs" / "variables" / "dept_beta" / "processing_config_dept_beta.yaml"
    processing.write_text(processing.read_text(encoding="utf-8") + ROWS_DECLARATION, encoding="utf-8")

    result = new(
        "category", "beta", "analysis", "summary", "--kind", "report", "--dataset", "rows", "--target", "ordered_on"
    )

    assert result.exit_code == 2
    assert "dataset rows: target 'ordered_on' is date; a report's model predicts an int, str, category or bool" in (
        result.stderr
    )


def store_rows(http_server: LoopbackHTTPServer, data_dir: Path, body: bytes, filename: str) -> str:
    """``body``, served as ``filename``, stored as `airnub run beta ingestion` stores it: the newest object of item
    ``rows`` of ingestion category ``files`` (data source ``beta_files``). Returns its sha256."""
    policy = HttpPolicy(allow_private_networks=True, retries=0)
    settings = load_settings()
    index = ManifestIndex(settings.resolved_index_url, root=settings.resolved_data_dir)
    try:
        with build_http_client(policy) as client:
            ctx = IngestContext(ContentAddressedStore(data_dir / "cas"), index, policy, client, "beta_files")
            item = FileToAcquire(name="rows", url=http_server.serve(f"/{filename}", body=body))
            return download_hash_store_and_manifest(item, ctx).sha256
    finally:
        index.close()


@pytest.fixture
def beta_files(new: Callable[..., Result], project: Path, data_dir: Path) -> Path:
    """Department beta with ingestion category ``files`` (item ``rows``); returns its processing config file."""
    assert new("department", "beta").exit_code == 0
    assert new("category", "beta", "ingestion", "files", "--url", "http://127.0.0.1:9/rows.csv").exit_code == 0
    return project / "configs" / "variables" / "dept_beta" / "processing_config_dept_beta.yaml"


def test_new_tabular_category_reads_the_records_under_the_only_key_holding_them_and_says_so(
    new: Callable[..., Result], beta_files: Path, project: Path, http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    """The demo's own API shape: ``{"dataset": ..., "feature_names": [...], "records": [{...}, ...]}``."""
    wine = load_demo_catalog()[WINE_RECORDS_API_PATH].body
    store_rows(http_server, data_dir, wine, "records.json")

    result = new("category", "beta", "processing", "wine", "--kind", "tabular", "--input", "files")

    assert result.exit_code == 0, result.stderr
    note = (
        "records read from key 'records', the only top-level key holding a list of objects; reader.records_key names it"
    )
    assert result.stderr.splitlines() == [f"note: {note}"]
    text = beta_files.read_text(encoding="utf-8")
    assert f"    # {note[0].upper()}{note[1:]}.\n" in text
    [declared] = yaml.safe_load(text)["wine"]["datasets"]
    assert declared["format"] == "json" and declared["reader"] == {"records_key": "records"}
    columns = {c["name"]: c["type"] for c in declared["schema"]["columns"]}
    assert (len(columns), columns["target"], columns["proline"]) == (14, "int", "float")
    generated = (project / "tests/flows/dept_beta/processing/wine/test_parse_wine_flow_dept_beta.py").read_text()
    assert "EXPECTED_ROWS = 178\nEXPECTED_QUARANTINE: dict[str, int] = {}\n" in generated


def test_new_tabular_category_refuses_a_json_object_with_several_record_lists_until_one_is_named(
    new: Callable[..., Result], beta_files: Path, project: Path, http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    broken_sha256 = store_rows(http_server, data_dir, b'{"items": [{"id": 1}', "broken.json")
    before = tree_fingerprint(project)
    broken = new("category", "beta", "processing", "items", "--kind", "tabular", "--input", "files")
    body = json.dumps({"page": 1, "items": [{"id": 1}, {"id": 2}], "errors": [{"code": "x"}]}).encode()
    sha256 = store_rows(http_server, data_dir, body, "page.json")

    refused = new("category", "beta", "processing", "items", "--kind", "tabular", "--input", "files")
    untouched = tree_fingerprint(project)
    named = new("category", "beta", "processing", "items", "--input", "files", "--records-key", "items")

    assert broken.exit_code == 1
    assert broken.stderr.splitlines() == [
        f"error: object {broken_sha256[:12]} (broken.json): not valid JSON: Expecting ',' delimiter: line 1 column 21 "
        "(char 20)"
    ]
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"error: object {sha256[:12]} (page.json): 2 top-level keys hold a list of objects (items, errors): "
        "choose one with --records-key KEY"
    ]
    assert untouched == before
    assert named.exit_code == 0 and named.stderr == "", named.stderr
    [declared] = yaml.safe_load(beta_files.read_text(encoding="utf-8"))["items"]["datasets"]
    assert declared["reader"] == {"records_key": "items"}
    assert declared["schema"]["columns"] == [{"name": "id", "type": "int"}]


def test_the_generated_tabular_test_names_the_sample_rows_a_locked_check_quarantines(
    new: Callable[..., Result], beta_files: Path, project: Path, http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    """120 orders, one with an impossible date: the date column stays a date (that row will be quarantined) and the
    generated test expects it; a ``min`` locked on ``amount`` then quarantines three more rows of the sample, and
    the generated test fails naming them and what to update."""
    days = [f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}" for n in range(1, 121)]
    days[59] = "2024-02-30"  # line 61
    body = "order_id,amount,day\n" + "".join(f"{n},{5 + n}.5,{day}\n" for n, day in enumerate(days, 1))
    store_rows(http_server, data_dir, body.encode(), "orders.csv")
    generated = project / "tests/flows/dept_beta/processing/orders/test_parse_orders_flow_dept_beta.py"

    result = new("category", "beta", "processing", "orders", "--kind", "tabular", "--input", "files")

    assert result.exit_code == 0, result.stderr
    config = beta_files.read_text(encoding="utf-8")
    assert result.stderr.splitlines() == [
        "note: 1 of 120 rows holds a value its column's type does not read: processing will quarantine it (see the "
        "columns' comments)"
    ]
    day = "# 1 of 120 values is not a date (e.g. '2024-02-30'): that row will be quarantined; observed 2024-01-01 to"
    assert re.search(r"- \{name: day, type: date\} +" + re.escape(day), config), config
    assert 'EXPECTED_ROWS = 119\nEXPECTED_QUARANTINE: dict[str, int] = {\n    "type on day": 1,\n}\n' in (
        generated.read_text(encoding="utf-8")
    )
    locked = config.replace("{name: amount, type: float}", "{name: amount, type: float, checks: {min: 9}}")
    assert locked != config
    beta_files.write_text(locked, encoding="utf-8")

    # --noconftest: the suite's conftest would start a Prefect test server that this test of a config never uses
    run = run_python(project, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "--noconftest", str(generated))

    assert run.returncode == 1, run.stdout[-3000:]
    assert re.search(r"\b1 failed, 1 passed\b", run.stdout), run.stdout[-3000:]
    expected = (
        "AssertionError: 3 rows of the sample are now quarantined by your checks (min on amount: lines 2, 3, 4): "
        "update the sample at tests/flows/dept_beta/processing/orders/sample_orders.csv or the expected counts in "
        "this test (EXPECTED_ROWS, EXPECTED_QUARANTINE)"
    )
    assert expected in run.stdout, run.stdout[-3000:]
