"""What a generator command would do, decided before anything is written.

A :class:`Plan` lists one :class:`Change` per file (create, update, unchanged, skip) and the conflicts that
forbid the run. Nothing touches the disk until :meth:`Plan.apply`, and ``apply`` refuses a plan with conflicts:
a refused command writes nothing. Running a command twice gives a plan whose changes are all ``unchanged``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

__all__ = ["Action", "Change", "Plan", "ProjectLayout"]


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"


@dataclass(frozen=True)
class ProjectLayout:
    """Where a project keeps its flows, configs, tests and ``prefect.yaml``."""

    root: Path
    config_dir: Path

    @classmethod
    def at(cls, root: Path, config_dir: Path) -> ProjectLayout:
        """``config_dir`` relative to ``root`` unless absolute (as ``AIRNUB_CONFIG_DIR`` is for the CLI)."""
        root = root.resolve()
        return cls(root=root, config_dir=(config_dir if config_dir.is_absolute() else root / config_dir).resolve())

    @property
    def flows_dir(self) -> Path:
        return self.root / "flows"

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests"

    @property
    def variables_dir(self) -> Path:
        return self.config_dir / "variables"

    @property
    def mapping_file(self) -> Path:
        return self.config_dir / "department_mapping.yaml"

    @property
    def prefect_yaml(self) -> Path:
        return self.root / "prefect.yaml"

    def shown(self, path: Path) -> str:
        """``path`` relative to the project root when it is inside it."""
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)


@dataclass(frozen=True)
class Change:
    path: Path
    action: Action
    content: str | None = None
    note: str = ""


@dataclass
class Plan:
    """The changes of one command; ``conflicts`` non-empty means the command is refused. ``notes``: what the
    person running it should know about what was generated (one line each)."""

    layout: ProjectLayout
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def current(self, path: Path) -> str | None:
        """The file's text as it will be after the changes planned so far (``None``: no such file)."""
        for change in reversed(self.changes):
            if change.path == path and change.content is not None:
                return change.content
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def new_file(self, path: Path, content: str, *, package_marker: bool = False) -> None:
        """A file the command owns: created if absent, unchanged if identical, else a conflict.
        A ``package_marker`` (``__init__.py``) that exists with other content is kept as it is."""
        current = self.current(path)
        if current is None:
            self.changes.append(Change(path, Action.CREATE, content))
        elif current == content or package_marker:
            self.changes.append(Change(path, Action.UNCHANGED))
        else:
            self.conflicts.append(f"{self.layout.shown(path)} exists and differs from what would be generated")

    def regenerated_file(self, path: Path, content: str, previous: str | None, note: str = "") -> None:
        """A generated file rewritten from its source of truth: ``previous`` is what the generator wrote last
        time; if the file differs from it, it was edited by hand and is not overwritten (a conflict)."""
        current = self.current(path)
        if current == content:
            self.changes.append(Change(path, Action.UNCHANGED))
        elif current is None or current == previous:
            self.changes.append(Change(path, Action.CREATE if current is None else Action.UPDATE, content, note))
        else:
            self.conflicts.append(
                f"{self.layout.shown(path)} was edited by hand (it is generated: `airnub new` rewrites it); "
                "restore it or move your change to a file of your own"
            )

    def edited_file(self, path: Path, content: str | None, note: str) -> None:
        """A registration point edited in place (``content`` ``None``: the edit is already there)."""
        if content is None or content == self.current(path):
            self.changes.append(Change(path, Action.UNCHANGED, note=note))
        else:
            self.changes.append(Change(path, Action.UPDATE, content, note))

    def skip(self, path: Path, note: str) -> None:
        self.changes.append(Change(path, Action.SKIP, note=note))

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.action in (Action.CREATE, Action.UPDATE)]

    def apply(self) -> None:
        """Write every created or updated file (each atomically); refuse a plan with conflicts."""
        if self.conflicts:
            raise RuntimeError("a plan with conflicts cannot be applied")
        for change in self.writes:
            assert change.content is not None
            change.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=change.path.parent, prefix=f".{change.path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    handle.write(change.content)
                if change.path.exists():
                    os.chmod(temp, change.path.stat().st_mode & 0o777)
                else:
                    os.chmod(temp, 0o644)
                os.replace(temp, change.path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
