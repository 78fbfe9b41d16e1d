"""Category kinds: what a stock category of a stage is, declared once per kind in its stage's registry.

A kind names its config section model (one model per kind: ``DownloadsConfig``, ``TabularConfig``, ...), how the
items of a section are listed, and (in the stage's own subclass) how one item is run or built. The generators
write a stock category as a few lines naming its kind; the category flow is built from the kind; a department's
manifest names each category's kind. Registries follow dlt's ``PAGINATOR_MAP``/``register_paginator``: a plain
mapping, filled at import by the stage package, open to :meth:`KindRegistry.register`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from airnub_prefect_starter.core.config import did_you_mean
from airnub_prefect_starter.core.errors import ConfigError

__all__ = ["CategoryKind", "KindRegistry"]


@dataclass(frozen=True)
class CategoryKind:
    """One kind of category of one stage.

    ``section`` validates the category's section of the stage config; ``items(section)`` lists what its tasks
    work on (in config order); ``items_key`` is the section's key holding them; ``verb`` starts the names the
    generators give the category's flow and task (``download_<category>_flow_dept_<id>``)."""

    name: str
    stage: str
    section: type[BaseModel]
    items_key: str
    verb: str
    description: str

    def items(self, section: BaseModel) -> Sequence[Any]:
        """The section's items, in config order."""
        if not isinstance(section, self.section):
            raise ConfigError(f"kind {self.name}: a {type(section).__name__} section is not a {self.section.__name__}")
        items: Sequence[Any] = getattr(section, self.items_key)
        return items


KindT = TypeVar("KindT", bound=CategoryKind)


class KindRegistry(Generic[KindT], Mapping[str, KindT]):
    """The kinds of one stage, by name, in the order they were registered."""

    def __init__(self, stage: str, kinds: Sequence[KindT] = ()) -> None:
        self.stage = stage
        self._kinds: dict[str, KindT] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: KindT, *, replace: bool = False) -> KindT:
        """Add ``kind`` (a second kind of the same name is refused unless ``replace``)."""
        if kind.stage != self.stage:
            raise ConfigError(f"kind {kind.name} is a {kind.stage} kind, not a {self.stage} one")
        if kind.name in self._kinds and not replace:
            raise ConfigError(f"{self.stage} kind {kind.name} is registered already")
        self._kinds[kind.name] = kind
        return kind

    def __getitem__(self, name: str) -> KindT:
        try:
            return self._kinds[name]
        except KeyError:
            known = list(self._kinds)
            raise ConfigError(
                f"kind '{name}'{did_you_mean(name, known)}: not a {self.stage} kind ({', '.join(known)})"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def by_section(self, model: type[BaseModel]) -> KindT | None:
        """The kind whose section model is ``model`` (or a subclass of it), if any."""
        return next((k for k in self._kinds.values() if issubclass(model, k.section)), None)
