"""A read-only sequence that generic walkers take as one value: how a category's items and outcomes cross Prefect.

Prefect walks every task parameter, task result and flow return value it is handed
(``prefect.utilities.collections.visit_collection``: resolving futures and states, collecting task inputs,
linking results to their runs), descending into lists, tuples, sets, dicts, dataclasses and pydantic models, field
by field: about fifty visits per item of a category for its batch parameters, batch results and the flows' return
values, on values that never hold a future or a state. A :class:`Sealed` sequence is none of those types, so each
walk stops at it: one visit, whatever its length. It pickles as its values (task results and parameters cross
process boundaries under Dask).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, overload

__all__ = ["Sealed", "sealed"]

T = TypeVar("T", covariant=True)


class Sealed(Sequence[T]):
    """``values`` as an immutable sequence (indexing, slicing, ``len``, iteration) that compares equal to a sealed
    sequence of equal values."""

    __slots__ = ("_values",)

    def __init__(self, values: Iterable[T] = ()) -> None:
        self._values: tuple[T, ...] = tuple(values)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sealed[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sealed[T]:
        if isinstance(index, slice):
            return Sealed(self._values[index])
        return self._values[index]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[T]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # its values (pydantic models, outcomes) need not be hashable

    def __repr__(self) -> str:
        return f"Sealed({list(self._values)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return Sealed, (self._values,)


def sealed(values: Iterable[T]) -> Sealed[T]:
    """``values`` sealed (itself when it is already)."""
    return values if isinstance(values, Sealed) else Sealed(values)
