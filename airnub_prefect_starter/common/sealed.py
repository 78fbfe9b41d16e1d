"""A read-only sequence that generic walkers take as one value: how a category's items and outcomes cross Prefect.

Prefect walks every flow parameter, task parameter, task result and flow return value it is handed
(``prefect.utilities.collections.visit_collection``: resolving futures and states, collecting task inputs,
resolving block references, linking results to their runs), descending into lists, tuples, sets, dicts, dataclasses
and pydantic models, field by field, on values that never hold a future or a state. A :class:`Sealed` sequence is
none of those types, so each walk stops at it: one visit, whatever its length. It pickles as its values (task
results and parameters cross process boundaries under Dask).

The item lists of the config models are sealed too (``files_to_acquire: Sealed[FileToAcquire]``): a stage flow's
``config`` parameter and each category flow's section are walked about five times per run (parameter resolution
and the parameter check of both flows, and the stage flow collecting the category flow's inputs), which was about
thirty visits per item. As a pydantic field a sealed sequence is a list to everything outside Python: it validates
from a list (a JSON array) as ``list[Item]`` does, serializes as that list and has that list's JSON Schema. In
Python it reads like the list it replaces: iteration, ``len``, indexing and slicing, ``+`` and ``*`` (giving
sealed sequences), and equality with a list or tuple of equal values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, get_args, overload

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

__all__ = ["Sealed", "sealed"]

T = TypeVar("T", covariant=True)
S = TypeVar("S")


class Sealed(Sequence[T]):
    """``values`` as an immutable sequence (indexing, slicing, ``len``, iteration, ``+``, ``*``) that compares
    equal to a sealed sequence, list or tuple of equal values."""

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
        if isinstance(other, Sealed):
            return self._values == other._values
        if isinstance(other, list | tuple):
            return self._values == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # its values (pydantic models, outcomes) need not be hashable

    def __add__(self, other: Sealed[S] | list[S] | tuple[S, ...]) -> Sealed[T | S]:
        if not isinstance(other, Sealed | list | tuple):
            return NotImplemented
        return Sealed((*self._values, *other))

    def __radd__(self, other: list[S] | tuple[S, ...]) -> Sealed[T | S]:
        if not isinstance(other, list | tuple):
            return NotImplemented
        return Sealed((*other, *self._values))

    def __mul__(self, times: int) -> Sealed[T]:
        return Sealed(self._values * times)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Sealed({list(self._values)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return Sealed, (self._values,)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """As a pydantic field, ``Sealed[Item]`` is validated as ``list[Item]`` (from a list, a JSON array or any
        sequence), then sealed; it serializes, and has its JSON Schema, as that list."""
        (item,) = get_args(source) or (Any,)
        as_list = handler.generate_schema(list[item])  # type: ignore[valid-type]  # the field's item type
        return core_schema.no_info_after_validator_function(
            Sealed,
            as_list,
            serialization=core_schema.wrap_serializer_function_ser_schema(_as_list, schema=as_list),
        )


def _as_list(value: Iterable[Any], serialize: Callable[[Any], Any]) -> Any:
    return serialize(list(value))


def sealed(values: Iterable[T]) -> Sealed[T]:
    """``values`` sealed (itself when it is already)."""
    return values if isinstance(values, Sealed) else Sealed(values)
