"""End to end, in a copy of the project: `airnub new department` + `airnub new category --kind downloads`
(+ `airnub new task`, + one category of each other kind) give code that validates, imports, passes its own
tests, lints, type-checks, and stores the seeded URL's object in the CAS; every stage YAML it writes validates
against the JSON Schema its first line names, written from the department's own models; removing the department
leaves the project exactly as it was."""

from __future__ import annotations

import difflib
import importlib
import json
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from airnub_prefect_starter.cli.main import app
from airnub_prefect_starter.core.config import load_yaml_file
from airnub_prefect_starter.generators.yaml_edits import YamlDocument
from airnub_prefect_starter.registry.models import department_stage_models
from airnub_prefect_starter.registry.schemas import department_schema_files
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.project_copy import REPO_ROOT, copy_project, run_python, tree_fingerprint

DEPT = "gen_beta"
CATEGORY = "reports"
TASK = "summarise_rows"
BODY = b"station,reading\nnorth,1.5\nsouth,2.5\n"
CONFIG = Path("configs/variables/dept_gen_beta/ingestion_config_dept_gen_beta.yaml")
REGISTRATION_POINTS = ("configs/department_mapping.yaml", "prefect.yaml")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Generated:
    root: Path
    before: dict[str, str]
    url: str

    @property
    def new_files(self) -> list[str]:
        return sorted(set(tree_fingerprint(self.root)) - set(self.before))

    @property
    def new_python_files(self) -> list[str]:
        return [f for f in self.new_files if f.endswith(".py")]


def generate(root: Path, url: str | None) -> list[str]:
    """The three commands, in-process, against the copy at ``root``; returns their stdout."""
    seed = ["--url", url] if url else []
    commands = [
        ["department", DEPT, "--name", "Gen Beta"],
        ["category", DEPT, "ingestion", CATEGORY, "--kind", "downloads", *seed],
        ["task", DEPT, "ingestion", CATEGORY, TASK],
        # The other kinds, so that their templates are linted, type-checked and tested too.
        ["category", DEPT, "ingestion", "checked_files", "--kind", "custom"],
        ["category", DEPT, "ingestion", "station_api", "--kind", "api"],
        ["category", DEPT, "ingestion", "portal_pages", "--kind", "scrape"],
    ]
    outputs = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRNUB_CONFIG_DIR", str(root / "configs"))
        for command in commands:
            result = CliRunner().invoke(app, ["new", *command, "--project-dir", str(root)], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            outputs.append(result.stdout)
    return outputs


@pytest.fixture(scope="module")
def source() -> Iterator[LoopbackHTTPServer]:
    with LoopbackHTTPServer() as server:
        yield server


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, source: LoopbackHTTPServer) -> Generated:
    root = copy_project(tmp_path_factory.mktemp("generated") / "project")
    before = tree_fingerprint(root)
    url = source.serve("/reports/stations.csv", body=BODY, etag='"v1"')
    generate(root, url)
    return Generated(root, before, url)


def module_name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def test_generated_department_validates_and_every_generated_module_imports(generated: Generated) -> None:
    modules = [module_name(f) for f in generated.new_python_files]
    script = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "from airnub_prefect_starter.cli.main import app\n"
        "app(['config', 'validate'])\n"
    )

    result = run_python(generated.root, "-c", script, *modules)

    assert result.returncode == 0, result.stderr
    assert len(modules) >= 20
    for stage in ("ingestion", "processing", "analysis"):
        assert f"dept_{DEPT}/{stage}_config_dept_{DEPT}.yaml -> Variable dept_{DEPT}_{stage}_config" in result.stdout


def test_generated_tests_pass_and_the_task_test_is_a_strict_xfail(generated: Generated) -> None:
    # In one process (-n 0): 13 tests do not pay for the start of two xdist workers, each with its own harness.
    result = run_python(
        generated.root, "-m", "pytest", "-q", "-n", "0", "-rx", "-p", "no:cacheprovider", f"tests/flows/dept_{DEPT}"
    )

    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\b12 passed, 1 xfailed\b", result.stdout), result.stdout[-2000:]
    assert (
        f"XFAIL tests/flows/dept_{DEPT}/ingestion/{CATEGORY}/test_{TASK}_dept_{DEPT}.py::"
        f"test_{TASK}_derives_its_result_from_a_stored_object - implement {TASK} in "
        f"flows.dept_{DEPT}.ingestion.{CATEGORY}.core.{TASK}_dept_{DEPT}"
    ) in result.stdout


@pytest.fixture
def generated_flows_importable(generated: Generated, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let this process import ``flows.dept_gen_beta`` from the copy (the rest of ``flows`` stays ours)."""
    import flows

    monkeypatch.setattr(flows, "__path__", [str(generated.root / "flows"), *flows.__path__])
    monkeypatch.setenv("AIRNUB_CONFIG_DIR", str(generated.root / "configs"))
    importlib.invalidate_caches()
    yield
    for name in [n for n in sys.modules if n == f"flows.dept_{DEPT}" or n.startswith(f"flows.dept_{DEPT}.")]:
        del sys.modules[name]


@pytest.mark.usefixtures("generated_flows_importable")
def test_generated_yaml_validates_against_the_schema_its_first_line_names(generated: Generated) -> None:
    schemas = generated.root / "configs" / "schemas"
    expected = department_schema_files(DEPT, department_stage_models(DEPT))  # the models as generated

    assert {p.relative_to(schemas).as_posix() for p in (schemas / f"dept_{DEPT}").iterdir()} == set(expected)
    for name, text in expected.items():
        assert (schemas / name).read_text(encoding="utf-8") == text, name
    for stage in ("ingestion", "processing", "analysis"):
        path = generated.root / "configs" / "variables" / f"dept_{DEPT}" / f"{stage}_config_dept_{DEPT}.yaml"
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        schema_path = (path.parent / first_line.removeprefix("# yaml-language-server: $schema=")).resolve()
        assert schema_path == schemas / f"dept_{DEPT}" / f"{stage}_config.schema.json"
        validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")))
        assert [e.message for e in validator.iter_errors(load_yaml_file(path))] == [], stage
    ingestion = json.loads((schemas / f"dept_{DEPT}" / "ingestion_config.schema.json").read_text(encoding="utf-8"))
    assert {CATEGORY, "checked_files", "station_api", "portal_pages"} <= set(ingestion["properties"])
    assert ingestion["additionalProperties"] is False


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness", "generated_flows_importable")
def test_generated_ingestion_stage_stores_the_seeded_url_in_the_cas(generated: Generated, data_dir: Path) -> None:
    runner = CliRunner()
    command = ["run", DEPT, "ingestion", "--config", str(generated.root / CONFIG), "--json"]

    first = runner.invoke(app, command, catch_exceptions=False)
    second = runner.invoke(app, command, catch_exceptions=False)

    assert first.exit_code == 0, first.output
    [item] = json.loads(first.stdout)["items"]
    stored = data_dir / f"dept_{DEPT}" / "ingestion" / f"{DEPT}_{CATEGORY}" / sha256_hex(BODY) / "stations.csv"
    assert (item["category"], item["name"], item["status"], item["url"]) == (
        CATEGORY,
        "stations",
        "stored",
        generated.url,
    )
    assert item["path"] == str(stored) and stored.read_bytes() == BODY
    assert second.exit_code == 0, second.output
    assert [i["status"] for i in json.loads(second.stdout)["items"]] == ["unchanged"]


def test_generated_code_passes_ruff_and_mypy(generated: Generated, request: pytest.FixtureRequest) -> None:
    files = generated.new_python_files
    cache = request.config.cache.mkdir("generated-code-mypy") if request.config.cache else None
    if cache is not None and not any(cache.iterdir()) and (REPO_ROOT / ".mypy_cache").is_dir():
        shutil.copytree(REPO_ROOT / ".mypy_cache", cache, dirs_exist_ok=True)  # a warm start: 3 s, not 30 s
    cache_dir = str(cache) if cache is not None else str(generated.root.parent / "mypy-cache")

    lint = run_python(generated.root, "-m", "ruff", "check", "--no-cache", *files)
    formatting = run_python(generated.root, "-m", "ruff", "format", "--check", "--no-cache", *files)
    types = run_python(generated.root, "-m", "mypy", "--cache-dir", cache_dir, *files)

    assert lint.returncode == 0, lint.stdout
    assert formatting.returncode == 0, formatting.stdout
    assert types.returncode in (0, 1) and re.search(r"\(checked \d+ source files\)|Success", types.stdout), types
    # Only the generated files are ours to judge: the rest of the project is checked by `make lint`.
    ours = [line for line in types.stdout.splitlines() if line.split(":", 1)[0] in files]
    assert ours == []


def test_removing_the_generated_department_restores_the_project(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    before = tree_fingerprint(root)
    texts = {name: (root / name).read_text(encoding="utf-8") for name in REGISTRATION_POINTS if (root / name).exists()}
    generate(root, None)
    for name, text in texts.items():  # the registration points only gained lines
        edited = (root / name).read_text(encoding="utf-8").splitlines()
        matcher = difflib.SequenceMatcher(a=text.splitlines(), b=edited, autojunk=False)
        assert {op[0] for op in matcher.get_opcodes()} <= {"equal", "insert"}, name

    folders = (
        f"flows/dept_{DEPT}",
        f"configs/variables/dept_{DEPT}",
        f"configs/schemas/dept_{DEPT}",
        f"tests/flows/dept_{DEPT}",
    )
    for folder in folders:
        shutil.rmtree(root / folder)
    mapping = YamlDocument.parse((root / REGISTRATION_POINTS[0]).read_text(encoding="utf-8"), "mapping")
    del mapping.data["departments"][DEPT]
    (root / REGISTRATION_POINTS[0]).write_text(mapping.dump(), encoding="utf-8")
    if "prefect.yaml" in texts:
        deployments = YamlDocument.parse((root / "prefect.yaml").read_text(encoding="utf-8"), "prefect.yaml")
        listed = deployments.data["deployments"]
        ours = [i for i, d in enumerate(listed) if str(d["name"]).startswith(f"{DEPT}-")]
        assert len(ours) == 3
        for index in reversed(ours):
            del listed[index]
        (root / "prefect.yaml").write_text(deployments.dump(), encoding="utf-8")

    assert tree_fingerprint(root) == before
