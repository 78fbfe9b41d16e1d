"""What the batches of one run share in a process: created once per run, however many threads ask."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from airnub_prefect_starter.common.run_scoped import RunScoped


def test_threads_asking_for_one_run_get_the_one_value_created_once() -> None:
    created: list[str] = []

    def create(key: str) -> object:
        created.append(key)
        time.sleep(0.05)  # a slow creation: the other threads must wait for it, not make their own
        return object()

    scoped: RunScoped[str, object] = RunScoped(create)
    with ThreadPoolExecutor(8) as pool:
        values = list(pool.map(lambda _: scoped.get("run-1"), range(16)))
    assert created == ["run-1"]
    assert len({id(value) for value in values}) == 1
    assert scoped.get("run-2") is not values[0]


def test_the_least_recently_used_run_is_forgotten_and_released() -> None:
    released: list[str] = []
    scoped: RunScoped[str, str] = RunScoped(lambda key: f"value of {key}", max_runs=2, forget=released.append)
    scoped.get("a")
    scoped.get("b")
    scoped.get("a")  # "b" is now the least recently used
    scoped.get("c")
    assert released == ["value of b"]
    assert scoped.get("b") == "value of b"  # a forgotten run asked again is created again, pushing out "a"
    assert released == ["value of b", "value of a"]
