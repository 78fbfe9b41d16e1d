"""Where the data-science stage reads and writes (cookiecutter-data-science v2 layout, rooted at the data dir).

::

    <data_dir>/                 AIRNUB_DATA_DIR, else <PROJECT_ROOT>/data
      raw/  interim/  processed/  external/
      models/
      reports/
        figures/

Only :data:`PROJECT_ROOT` is computed at import time (pure path logic, no I/O beyond ``stat``); the environment
is read when :func:`data_paths` is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from airnub_prefect_starter.common.settings import load_settings

__all__ = ["PROJECT_ROOT", "DataPaths", "data_paths", "find_project_root"]


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding a ``pyproject.toml``; the working directory if none."""
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return Path.cwd()


#: The repository root: the folder holding ``pyproject.toml`` above this package (the cwd when installed elsewhere).
PROJECT_ROOT: Path = find_project_root(Path(__file__).resolve().parent)


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
    """The layout under ``data_dir``; default ``AIRNUB_DATA_DIR`` (env or ``.env``), else ``PROJECT_ROOT/data``.

    A relative ``AIRNUB_DATA_DIR`` is taken relative to the working directory, as everywhere else in the package.
    """
    if data_dir is None:
        settings = load_settings()
        data_dir = settings.resolved_data_dir if "data_dir" in settings.model_fields_set else PROJECT_ROOT / "data"
    return DataPaths.under(data_dir.expanduser().resolve())
