"""A throwaway copy of this project (sources, configs, tests; no venv, data, caches or git) for tests that
generate code into it, and a fingerprint of its files to compare before and after."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["REPO_ROOT", "copy_project", "project_env", "run_python", "tree_fingerprint"]

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Never copied, never fingerprinted: environments, outputs and caches the runs themselves create.
_SKIPPED = {
    ".venv",
    ".git",
    "data",
    ".prefect",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "build",
    "dist",
    "site",
}


def _skipped(name: str) -> bool:
    return name in _SKIPPED or name.endswith(".egg-info")


def copy_project(target: Path) -> Path:
    """Copy the project into ``target`` (created) and return it."""
    shutil.copytree(REPO_ROOT, target, ignore=lambda _dir, names: [n for n in names if _skipped(n)])
    return target


def tree_fingerprint(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root`` (skipping caches and outputs)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not _skipped(d)]
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def project_env(project: Path, *, drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """This process's environment with ``project`` first on the import path, no AIRNUB_* overrides and no
    variable starting with one of ``drop``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRNUB_", "PYTEST_", *drop))}
    env["PYTHONPATH"] = str(project)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_python(
    project: Path, *args: str, timeout: float = 240, drop_env: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """``python <args>`` with this interpreter, inside ``project`` (without the variables ``drop_env`` starts)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=project_env(project, drop=drop_env, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
