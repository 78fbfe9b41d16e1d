"""A sealed sequence: read like a tuple, pickled as its values, and one value to Prefect's collection walker."""

from __future__ import annotations

import pickle

from prefect.utilities.collections import visit_collection

from airnub_prefect_starter.common.sealed import Sealed, sealed


def test_a_sealed_sequence_reads_like_a_tuple_and_pickles_as_its_values() -> None:
    values = Sealed([{"name": "a"}, {"name": "b"}, {"name": "c"}])

    assert (len(values), values[1], list(values[1:])) == (3, {"name": "b"}, [{"name": "b"}, {"name": "c"}])
    assert pickle.loads(pickle.dumps(values)) == values
    assert values != [{"name": "a"}, {"name": "b"}, {"name": "c"}]  # equal only to a sealed sequence
    assert sealed(values) is values and sealed([1]) == Sealed([1])


def test_prefect_visits_a_sealed_sequence_once_whatever_it_holds() -> None:
    """Guards Prefect upgrades: its walker descends into lists, dicts and dataclasses, not into other sequences."""
    visited: list[object] = []
    inner = [{"deep": [1, 2, 3]}] * 100

    visit_collection({"items": Sealed(inner), "walked": [1, 2]}, visited.append)

    assert [type(value).__name__ for value in visited] == ["dict", "str", "Sealed", "str", "list", "int", "int"]
