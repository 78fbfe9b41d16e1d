"""A sealed sequence: read like a list, pickled as its values, one value to Prefect's collection walker, and a list
to pydantic's validation, serialization and JSON Schema."""

from __future__ import annotations

import pickle

import pytest
from prefect.utilities.collections import visit_collection
from pydantic import BaseModel, ValidationError

from airnub_prefect_starter.common.sealed import Sealed, sealed


def test_a_sealed_sequence_reads_like_a_list_and_pickles_as_its_values() -> None:
    values = Sealed([{"name": "a"}, {"name": "b"}, {"name": "c"}])

    assert (len(values), values[1], list(values[1:])) == (3, {"name": "b"}, [{"name": "b"}, {"name": "c"}])
    assert pickle.loads(pickle.dumps(values)) == values
    assert values == [{"name": "a"}, {"name": "b"}, {"name": "c"}] == values
    assert values == ({"name": "a"}, {"name": "b"}, {"name": "c"}) and values != [{"name": "a"}] and values != "abc"
    assert sealed(values) is values and sealed([1]) == Sealed([1])


def test_sealed_sequences_concatenate_and_repeat_into_sealed_sequences() -> None:
    one = Sealed([1])

    assert [(type(v).__name__, list(v)) for v in (one + [2], [0] + one, one + Sealed([2]), one * 2, 2 * one)] == [
        ("Sealed", [1, 2]),
        ("Sealed", [0, 1]),
        ("Sealed", [1, 2]),
        ("Sealed", [1, 1]),
        ("Sealed", [1, 1]),
    ]
    with pytest.raises(TypeError):
        one + "2"  # type: ignore[operator]  # noqa: B018


def test_prefect_visits_a_sealed_sequence_once_whatever_it_holds() -> None:
    """Guards Prefect upgrades: its walker descends into lists, dicts and dataclasses, not into other sequences."""
    visited: list[object] = []
    inner = [{"deep": [1, 2, 3]}] * 100

    visit_collection({"items": Sealed(inner), "walked": [1, 2]}, visited.append)

    assert [type(value).__name__ for value in visited] == ["dict", "str", "Sealed", "str", "list", "int", "int"]


class Item(BaseModel):
    name: str


class Section(BaseModel):
    items: Sealed[Item]


class ListSection(BaseModel):
    items: list[Item]


def test_a_sealed_field_validates_serializes_and_describes_itself_as_a_list() -> None:
    section = Section.model_validate({"items": [{"name": "a"}, {"name": "b"}]})

    assert type(section.items) is Sealed and section.items == [Item(name="a"), Item(name="b")]
    assert section.model_dump() == {"items": [{"name": "a"}, {"name": "b"}]}
    assert section.model_dump_json() == '{"items":[{"name":"a"},{"name":"b"}]}'
    assert Section(items=section.items) == section == Section.model_validate_json(section.model_dump_json())
    assert Section.model_json_schema() == {**ListSection.model_json_schema(), "title": "Section"}
    with pytest.raises(ValidationError, match=r"items\.1\.name"):
        Section.model_validate({"items": [{"name": "a"}, {}]})
