"""The shape every per-item outcome shares: who (category, name), what happened (status) and, if it failed, why.

:class:`~airnub_prefect_starter.ingestion.outcome.ItemOutcome` (ingestion),
:class:`~airnub_prefect_starter.processing.outcome.DatasetOutcome` (processing) and
:class:`~airnub_prefect_starter.analysis.outcome.AnalysisOutcome` (analysis) inherit :class:`Outcome` for
``failed``, ``failure``, the frame of their ``--json`` summary and their console row. It is a plain mixin, not a
dataclass base, so each outcome keeps its own field order (positional construction, ``repr``, equality) and
pickles as a plain dataclass: the outcomes cross process boundaries as results of Prefect tasks (Dask workers
included).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Self

__all__ = ["Outcome", "failure_summary", "unexpected_error_text"]

#: The longest message of an unexpected error kept in an outcome (its first line only).
_UNEXPECTED_MESSAGE_CHARS = 300


class Outcome:
    """Mixin for a frozen outcome dataclass, which declares these fields itself (``status`` as its ``Literal``)."""

    category: str
    name: str
    status: str
    error_type: str | None
    error: str | None

    #: The heading of ``name`` in console tables (``dataset`` for the later stages).
    NAME_COLUMN: ClassVar[str] = "name"

    @classmethod
    def failure(
        cls, category: str, name: str, error: BaseException, *, message: str | None = None, **fields: Any
    ) -> Self:
        """A ``failed`` outcome naming the error's type and its message (or ``message``, e.g. a scrubbed one);
        ``fields`` fills the outcome's own fields."""
        build: Callable[..., Self] = cls  # the dataclass's __init__: the mixin itself declares no fields
        text = str(error) if message is None else message
        return build(
            category=category, name=name, status="failed", error_type=type(error).__name__, error=text, **fields
        )

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def as_summary(self) -> dict[str, Any]:
        """The ``--json`` item shape of the CLI contract: ``category``, ``name``, ``status``, the outcome's
        :meth:`summary_details`, then ``error`` (in this order: it is the order ``airnub ... --json`` prints)."""
        return {
            "category": self.category,
            "name": self.name,
            "status": self.status,
            **self.summary_details(),
            "error": self.error,
        }

    def summary_details(self) -> dict[str, Any]:
        """The keys between ``status`` and ``error`` in :meth:`as_summary`; each outcome names its own."""
        return {}

    def display_row(self) -> dict[str, str]:
        """The outcome as one row of a console table: column -> text (``category``, the name and ``status``
        first; each outcome adds its own columns and ends with the path or the error)."""
        return {
            "category": self.category,
            self.NAME_COLUMN: self.name,
            "status": self.status,
            **self.display_details(),
        }

    def display_details(self) -> dict[str, str]:
        """The columns after ``status`` in :meth:`display_row`; each outcome names its own."""
        return {"error": self.error or ""}


def failure_summary(outcomes: Sequence[Outcome], noun: str, limit: int, *, with_category: bool = False) -> str:
    """``2 of 5 <noun> failed: a: why; b: why`` naming at most ``limit`` of them (as ``category/name`` when
    ``with_category``)."""
    failed = [o for o in outcomes if o.failed]
    label = (lambda o: f"{o.category}/{o.name}") if with_category else (lambda o: o.name)
    shown = "; ".join(f"{label(o)}: {o.error}" for o in failed[:limit])
    more = f" (+{len(failed) - limit} more)" if len(failed) > limit else ""
    return f"{len(failed)} of {len(outcomes)} {noun} failed: {shown}{more}"


def unexpected_error_text(error: BaseException, scrub: Callable[[str], str] = lambda text: text) -> str:
    """One line for an error no code raised on purpose (a bug, or a library failing on hostile input):
    ``unexpected RecursionError: maximum recursion depth exceeded``, its message cut to its first line.
    ``scrub`` is applied to the whole message before the cut (a secret straddling the cut is still replaced)."""
    lines = scrub(str(error)).strip().splitlines()
    first = lines[0] if lines else ""
    if len(first) > _UNEXPECTED_MESSAGE_CHARS:
        first = first[:_UNEXPECTED_MESSAGE_CHARS] + "..."
    return f"unexpected {type(error).__name__}" + (f": {first}" if first else "")
