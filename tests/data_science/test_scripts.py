"""The data-science modules as scripts (typer apps): --help in a real subprocess, the whole chain in-process."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.data_science import dataset_processing, plots
from airnub_prefect_starter.data_science.dataset_processing import write_dataset
from airnub_prefect_starter.data_science.modeling import predict, train
from tests.support.demo_recipes import DEMO_PROCESSING_CONFIG, parse_demo
from tests.support.project_copy import REPO_ROOT

PACKAGE = "airnub_prefect_starter.data_science"
DEMO_IRIS = ("--config", str(DEMO_PROCESSING_CONFIG), "--dataset", "iris")
runner = CliRunner()


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "AIRNUB_DATA_DIR": str(cwd / "data")}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "option"),
    [
        ("dataset_processing", "--raw"),
        ("modeling.train", "--model-dir"),
        ("modeling.predict", "--min-accuracy"),
        ("plots", "--dataset"),
    ],
)
def test_module_help_runs_as_script(tmp_path: Path, module: str, option: str) -> None:
    result = run_module(f"{PACKAGE}.{module}", "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert option in result.stdout and "Usage:" in result.stdout


def test_dataset_processing_script_writes_same_dataset_as_library(
    tmp_path: Path, sklearn_csv: Callable[[str], Path]
) -> None:
    table = parse_demo(sklearn_csv("iris"), "iris")
    expected = write_dataset(table, tmp_path / "lib", "iris", list(table.input_sha256s)).manifest.sha256

    result = run_module(f"{PACKAGE}.dataset_processing", "--raw", str(sklearn_csv("iris")), *DEMO_IRIS, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert sha256_file(tmp_path / "data" / "processed" / "iris.parquet") == expected  # another process, same bytes


@pytest.mark.slow
def test_importing_data_science_pulls_in_neither_prefect_nor_pyplot(tmp_path: Path) -> None:
    modules = ["config_ds", "dataset_processing", "features", "plots", "reporting", "modeling.train"]
    imports = "; ".join(f"import {PACKAGE}.{m}" for m in modules)
    check = "import sys; bad = [m for m in ('prefect', 'matplotlib.pyplot') if m in sys.modules]; assert not bad, bad"

    result = subprocess.run(
        [sys.executable, "-c", f"{imports}; {check}"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_scripts_chain_process_train_predict_plot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sklearn_csv: Callable[[str], Path]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "data"))
    dataset = tmp_path / "data" / "processed" / "iris.parquet"
    model = tmp_path / "data" / "models" / "iris_logistic_regression.joblib"

    processed = runner.invoke(dataset_processing.app, ["--raw", str(sklearn_csv("iris")), *DEMO_IRIS])
    trained = runner.invoke(train.app, ["--dataset", str(dataset), "--model", "logistic_regression"])
    predicted = runner.invoke(predict.app, ["--model", str(model), "--dataset", str(dataset), "--min-accuracy", "0.9"])
    plotted = runner.invoke(plots.app, ["--dataset", str(dataset), "--model", str(model)])

    assert processed.exit_code == 0 and "150 rows, 0 quarantined" in processed.output
    assert trained.exit_code == 0 and "accuracy" in trained.output
    assert predicted.exit_code == 0 and "150 rows predicted, accuracy" in predicted.output
    assert plotted.exit_code == 0 and len(list((tmp_path / "data" / "reports" / "figures").glob("*.png"))) == 3


def test_predict_script_exits_1_below_accuracy_floor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sklearn_csv: Callable[[str], Path]
) -> None:
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "data"))
    table = parse_demo(sklearn_csv("iris"), "iris")
    dataset = write_dataset(table, tmp_path / "processed", "iris", list(table.input_sha256s)).parquet_path
    model = train.train_estimator(dataset, tmp_path / "models").model_path

    result = runner.invoke(predict.app, ["--model", str(model), "--dataset", str(dataset), "--min-accuracy", "1.01"])

    assert result.exit_code == 1 and "below the floor" in result.output


def test_scripts_exit_2_on_bad_config(tmp_path: Path, sklearn_csv: Callable[[str], Path]) -> None:
    result = runner.invoke(
        dataset_processing.app,
        [
            "--raw",
            str(sklearn_csv("iris")),
            "--config",
            str(DEMO_PROCESSING_CONFIG),
            "--dataset",
            "digits",
            "--out-dir",
            str(tmp_path),
        ],
    )

    assert result.exit_code == 2 and "no dataset named 'digits'" in result.output


@pytest.mark.slow
def test_the_documented_script_chain_runs_as_written(tmp_path: Path, sklearn_csv: Callable[[str], Path]) -> None:
    """docs/data-science.md's "Running the steps as scripts" block, command by command, from a folder holding the
    raw iris.csv: each exits 0 (the predict and plots lines use the model the train line wrote)."""
    page = (REPO_ROOT / "docs" / "data-science.md").read_text(encoding="utf-8")
    block = page.split("## Running the steps as scripts", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line) for line in block.replace("\\\n", " ").splitlines() if line.startswith("python ")]
    shutil.copy(sklearn_csv("iris"), tmp_path / "iris.csv")
    config = tmp_path / DEMO_PROCESSING_CONFIG.relative_to(REPO_ROOT)
    config.parent.mkdir(parents=True)
    shutil.copy(DEMO_PROCESSING_CONFIG, config)

    results = [run_module(*command[2:], cwd=tmp_path) for command in commands]

    assert [c[2] for c in commands] == [
        f"{PACKAGE}.dataset_processing",
        f"{PACKAGE}.modeling.train",
        f"{PACKAGE}.modeling.predict",
        f"{PACKAGE}.plots",
    ]
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr[-500:] for r in results]
