"""HostPacer: one token per host, refilled every interval; reservations in order, waits outside the lock."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from airnub_prefect_starter.core.http.rate import HostPacer


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pacer_spaces_requests_to_one_host_by_the_interval() -> None:
    fake = FakeTime()
    pacer = HostPacer(clock=fake.clock, sleep=fake.sleep)

    waits = [pacer.wait("http://a:80", 0.5) for _ in range(4)]

    assert waits == [0.0, 0.5, 0.5, 0.5]
    assert fake.now == 1001.5


def test_pacer_keeps_hosts_apart_and_counts_time_already_passed() -> None:
    fake = FakeTime()
    pacer = HostPacer(clock=fake.clock, sleep=fake.sleep)
    pacer.wait("http://a:80", 2.0)

    assert pacer.wait("http://b:80", 2.0) == 0.0
    fake.now += 1.5
    assert pacer.wait("http://a:80", 2.0) == 0.5


def test_pacer_spaces_each_caller_by_its_own_interval() -> None:
    fake = FakeTime()
    pacer = HostPacer(clock=fake.clock, sleep=fake.sleep)
    pacer.wait("http://a:80", 0.0)  # an unpaced run's request is still on the host's timeline

    assert pacer.wait("http://a:80", 3.0) == 3.0
    assert pacer.wait("http://a:80", 1.0) == 1.0


def test_pacer_reserves_nothing_when_the_wait_exceeds_the_budget() -> None:
    fake = FakeTime()
    pacer = HostPacer(clock=fake.clock, sleep=fake.sleep)
    pacer.wait("http://a:80", 10.0)

    assert pacer.wait("http://a:80", 10.0, budget_s=9.0) is None
    assert fake.slept == []
    assert pacer.wait("http://a:80", 10.0, budget_s=10.0) == 10.0  # the refused call took no slot


def test_pacer_spaces_concurrent_threads_in_real_time() -> None:
    pacer = HostPacer()
    interval, requests = 0.1, 8
    started = time.monotonic()

    with ThreadPoolExecutor(max_workers=requests) as pool:
        waits = list(pool.map(lambda _: pacer.wait("http://a:80", interval), range(requests)))

    elapsed = time.monotonic() - started
    assert None not in waits and max(w for w in waits if w is not None) >= (requests - 1) * interval * 0.9
    assert (requests - 1) * interval <= elapsed < (requests - 1) * interval + 2.0
