"""The example notebook, executed by nbclient in a Jupyter kernel of this environment, on the demo's data: from a
project's notebooks/ folder it finds the data dir through the root's .env, and shows the dataset, its raw sha256
and source URL, and the model, each as the pipeline recorded them."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from tests.support.demo_data import build_demo_data
from tests.support.http_server import LoopbackHTTPServer
from tests.support.project_copy import REPO_ROOT
from tests.support.raw_inputs import sklearn_iris_csv

NOTEBOOKS = REPO_ROOT / "notebooks"
NOTEBOOK = NOTEBOOKS / "dataset_lineage.ipynb"
KERNEL = "airnub-test-kernel"


def _kernel_manager(tmp_path: Path) -> KernelManager:
    """A kernel of this very interpreter (never a ``python3`` kernelspec installed elsewhere on the machine),
    importing this checkout's package first, reached over Unix sockets in ``tmp_path`` (no TCP port to race for
    with a parallel test)."""
    spec = tmp_path / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "airnub tests", "language": "python"}), encoding="utf-8"
    )
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return KernelManager(
        kernel_name=KERNEL, kernel_spec_manager=specs, transport="ipc", ip=str(tmp_path / "kernel-ipc")
    )


def _text(cell: nbformat.NotebookNode) -> str:
    """What a cell showed: its streams and the plain-text form of its results."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


def test_the_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_the_notebook_reads_a_dataset_its_lineage_and_its_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "checkout"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text("", encoding="utf-8")
    (project / ".env").write_text("AIRNUB_DATA_DIR=demo-data\n", encoding="utf-8")
    shutil.copy(NOTEBOOK, project / "notebooks")
    raw = sklearn_iris_csv()
    with LoopbackHTTPServer() as server:
        outcome: AnalysisOutcome = build_demo_data(project / "demo-data", server, raw)
        url = server.url("/files/iris.csv")
    for name in ("AIRNUB_DATA_DIR", "AIRNUB_INDEX_URL", "AIRNUB_WORK_DIR", "AIRNUB_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)  # the kernel inherits this environment: only the .env speaks
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    notebook = nbformat.read(project / "notebooks" / NOTEBOOK.name, as_version=4)

    client = NotebookClient(
        notebook,
        km=_kernel_manager(tmp_path),
        timeout=180,
        startup_timeout=120,
        resources={"metadata": {"path": str(project / "notebooks")}},  # the kernel starts in notebooks/
    )
    client.execute()

    shown = "\n".join(_text(cell) for cell in notebook.cells if cell.cell_type == "code")
    assert f"data dir: {project / 'demo-data'}" in shown
    assert outcome.status == "analysed" and outcome.dataset_sha256 and outcome.model_sha256
    assert "dataset iris: 150 rows, 0 quarantined" in shown
    assert f"dataset sha256 {outcome.dataset_sha256}" in shown
    assert f"raw {hashlib.sha256(raw).hexdigest()} <- {url}" in shown
    assert f"model random_forest, sha256 {outcome.model_sha256}" in shown
    assert f"report: {project / 'demo-data' / 'reports' / 'iris' / 'report.html'}" in shown
    assert "prediction_name" in shown  # the model predicted the dataset's rows
