"""Where the data-science stage reads and writes (cookiecutter-data-science v2 layout, rooted at the data dir).

::

    <data_dir>/                 AIRNUB_DATA_DIR (a relative one under the project root), else <project root>/data
      raw/  interim/  processed/  external/
      models/
      reports/
        figures/

The data dir is the one ``airnub`` uses (:attr:`AirnubSettings.resolved_data_dir`: one rule), found from any folder
of the project: the project root is the nearest folder above the working directory holding ``pyproject.toml`` or
``configs/department_mapping.yaml`` (:func:`~airnub_prefect_starter.common.project.find_project_root`), whose
``.env`` is read. With the data dir on object storage, the folders are its local working copy. Nothing is read at
import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from airnub_prefect_starter.common.settings import load_settings

__all__ = ["DataPaths", "data_paths"]


@dataclass(frozen=True)
class DataPaths:
    """The data-science folders. Nothing exists on disk until :meth:`ensure` is called."""

    data_dir: Path
    raw: Path
    interim: Path
    processed: Path
    external: Path
    models: Path
    reports: Path
    figures: Path

    @classmethod
    def under(cls, data_dir: Path) -> DataPaths:
        reports = data_dir / "reports"
        return cls(
            data_dir=data_dir,
            raw=data_dir / "raw",
            interim=data_dir / "interim",
            processed=data_dir / "processed",
            external=data_dir / "external",
            models=data_dir / "models",
            reports=reports,
            figures=reports / "figures",
        )

    def all(self) -> tuple[Path, ...]:
        return (
            self.data_dir,
            self.raw,
            self.interim,
            self.processed,
            self.external,
            self.models,
            self.reports,
            self.figures,
        )

    def ensure(self) -> DataPaths:
        """Create every folder (parents included, existing ones kept); returns ``self`` for chaining."""
        for folder in self.all():
            folder.mkdir(parents=True, exist_ok=True)
        return self


def data_paths(data_dir: Path | None = None) -> DataPaths:
    """The layout under ``data_dir`` (a relative one under the working directory, as a path given on a command
    line); default: the data dir ``airnub`` uses, ``AIRNUB_DATA_DIR`` (environment, then the project root's
    ``.env``; relative to the project root), else ``<project root>/data``."""
    if data_dir is None:
        return DataPaths.under(load_settings().resolved_data_dir)
    return DataPaths.under(data_dir.expanduser().resolve())
