"""The deployment pull step: start every deployment run in the project directory (``flows/``, ``configs/``).

``prefect.yaml`` runs it before each flow run, in the flow-run process the worker started::

    pull:
      - airnub_prefect_starter.tasks.pull_steps.enter_project_dir: {}

One step serves both work pools: a process worker on a checkout (``AIRNUB_PROJECT_DIR``, or by default the
checkout of an editable install) and the Docker pool's containers (the image sets
``AIRNUB_PROJECT_DIR=/opt/airnub``). The directory is read when the run starts, in the worker's environment,
never at deploy time, so one deployment works wherever its worker runs. Relative settings (``configs``,
``data``) and the deployment entrypoints (``flows/...py:flow``) then resolve against that directory.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from airnub_prefect_starter.common.project import find_project_root
from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.errors import ConfigError

__all__ = ["enter_project_dir", "resolve_project_dir"]


def _installed_checkout() -> Path | None:
    """The project root (see :func:`find_project_root`) above the importable ``flows`` package, when it is
    imported from a checkout."""
    spec = importlib.util.find_spec("flows")
    if spec is None or not spec.submodule_search_locations:
        return None
    return find_project_root(Path(next(iter(spec.submodule_search_locations))).resolve())


def resolve_project_dir(settings: AirnubSettings) -> Path:
    """``AIRNUB_PROJECT_DIR`` if set, else the checkout the ``flows`` package is imported from; it must hold a
    ``flows/`` folder. Raises :class:`ConfigError` saying what to set otherwise."""
    if settings.project_dir is not None:
        directory = settings.project_dir.expanduser().resolve()
        if not (directory / "flows").is_dir():
            raise ConfigError(f"AIRNUB_PROJECT_DIR={settings.project_dir}: no flows/ folder there")
        return directory
    checkout = _installed_checkout()
    if checkout is None or not (checkout / "flows").is_dir():
        raise ConfigError(
            "cannot tell where the project is: set AIRNUB_PROJECT_DIR in the worker's environment to the folder "
            "holding flows/ and configs/ (the flows package is not imported from a checkout)"
        )
    return checkout


def enter_project_dir() -> dict[str, str]:
    """Pull step: change into the project directory; returns ``{"directory": <absolute path>}``, which Prefect
    records as the run's working directory."""
    directory = resolve_project_dir(load_settings())
    os.chdir(directory)
    return {"directory": str(directory)}
