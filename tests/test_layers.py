"""The house rules of the package's structure, read from the source with ``ast``: layers point down, no module
imports its way back to itself, and Prefect stays at the edge (``tasks/``, ``cli/``, ``flows/``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.import_graph import back_arrows, cycles, import_graph, importers_of
from tests.support.project_copy import REPO_ROOT

PACKAGE = "airnub_prefect_starter"
GRAPH = import_graph(REPO_ROOT / PACKAGE)
ABOVE_STAGES = ("registry", "tasks", "cli", "generators", "demo", "docs_gen")
STAGE_PACKAGES = ("ingestion", "processing", "analysis")

#: layer -> what it must never import (everything above it; the stage packages never import each other).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "common": ("core", "stages", *STAGE_PACKAGES, "data_science", *ABOVE_STAGES),
    "core": ("stages", *STAGE_PACKAGES, "data_science", *ABOVE_STAGES),
    "stages": (*STAGE_PACKAGES, "data_science", *ABOVE_STAGES),
    "data_science": ("stages", *STAGE_PACKAGES, *ABOVE_STAGES),
    **{stage: tuple(s for s in (*STAGE_PACKAGES, *ABOVE_STAGES) if s != stage) for stage in STAGE_PACKAGES},
    "registry": ("tasks", "cli", "generators", "demo", "docs_gen"),
    "tasks": ("cli", "generators", "demo", "docs_gen"),
}


@pytest.mark.parametrize("layer", FORBIDDEN)
def test_layer_imports_nothing_above_it(layer: str) -> None:
    forbidden = [f"{PACKAGE}.{name}" for name in FORBIDDEN[layer]]

    assert back_arrows(GRAPH, f"{PACKAGE}.{layer}", forbidden) == []


def test_no_module_imports_its_way_back_to_itself() -> None:
    assert cycles(GRAPH) == []


def test_prefect_is_imported_only_by_tasks_and_cli() -> None:
    edge = (f"{PACKAGE}.tasks.", f"{PACKAGE}.cli.")

    assert [line for line in importers_of(GRAPH, "prefect") if not line.startswith(edge)] == []


def test_the_public_face_is_imported_by_no_module_of_the_package() -> None:
    """``api`` sits above every layer (flows and generated code import it); the package never leans on it."""
    assert importers_of(GRAPH, f"{PACKAGE}.api") == []


def test_core_holds_no_stage_specific_module() -> None:
    core = sorted(m.removeprefix(f"{PACKAGE}.core.") for m in GRAPH if m.startswith(f"{PACKAGE}.core."))

    assert not [m for m in core if any(word in m for word in (*STAGE_PACKAGES, "dataset", "analys", "stage"))], core


def test_the_checks_catch_a_back_arrow_a_cycle_and_prefect_in_a_pure_layer(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    for folder in ("core", "stages"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "core" / "store.py").write_text("from pkg.stages.results import Result\nimport prefect\n")
    (package / "stages" / "results.py").write_text("from ..core import store\nResult = 1\n")

    graph = import_graph(package)

    assert back_arrows(graph, "pkg.core", ["pkg.stages"]) == ["pkg.core.store -> pkg.stages.results"]
    assert cycles(graph) == [["pkg.core.store", "pkg.stages.results"]]
    assert importers_of(graph, "prefect") == ["pkg.core.store -> prefect"]


def test_ingestion_flows_import_without_the_data_science_stack() -> None:
    """Ingestion needs no `ds` extra: importing its flows (and the one category runner) loads none of it, nor does
    the CLI (the commands that need it import it when they run)."""
    code = (
        "import sys\n"
        "import flows.dept_project_alpha.ingestion_flow_dept_project_alpha\n"
        "import airnub_prefect_starter.tasks.category_runner\n"
        "import airnub_prefect_starter.cli.main\n"  # a second of imports every `airnub` command would pay
        "print(sorted(m for m in ('pandas', 'sklearn', 'matplotlib', 'pyarrow') if m in sys.modules))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)

    assert shown.stdout.strip() == "[]"
