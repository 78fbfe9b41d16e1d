"""Where the project is: the one rule by which ``.env`` and relative settings are found from any folder.

A project root is the nearest folder, at or above the working directory, holding ``pyproject.toml`` or
``configs/department_mapping.yaml``. ``airnub`` run from the root, a notebook in ``notebooks/`` and a script in
``scripts/`` therefore read the same ``.env`` and place a relative ``AIRNUB_DATA_DIR`` in the same folder. Outside
any project the working directory stands in for the root, as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["PROJECT_MARKERS", "find_project_root", "project_root_or_cwd"]

#: A folder holding any of these (relative paths) is a project root.
PROJECT_MARKERS: Final = ("pyproject.toml", "configs/department_mapping.yaml")


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the working directory) holding one of
    :data:`PROJECT_MARKERS`; ``None`` outside any project. Only ``stat`` calls, no reads."""
    origin = (start if start is not None else Path.cwd()).absolute()
    for folder in (origin, *origin.parents):
        if any((folder / marker).is_file() for marker in PROJECT_MARKERS):
            return folder
    return None


def project_root_or_cwd(start: Path | None = None) -> Path:
    """:func:`find_project_root`, or the working directory outside any project: the folder relative settings
    (``AIRNUB_DATA_DIR``, ``AIRNUB_WORK_DIR``) and ``.env`` are read against."""
    return find_project_root(start) or Path.cwd().absolute()
