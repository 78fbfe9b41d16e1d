"""How long does a quick sub-flow run take with the heartbeat fix and without it? Target: under half as long with it.

Usage: ``python benchmarks/bench_heartbeat.py [--subflows 5]``

Runs a parent flow whose sub-flows return at once, against a temporary Prefect server, first with
``tasks/prefect_compat.py``'s fix installed, then with Prefect's own heartbeat (which joins a thread that sleeps
in whole seconds). ``tests/tasks/test_prefect_compat.py`` checks the same behaviour without timing it (it counts
the waits for the heartbeat thread).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # read when Prefect is imported

from prefect import flow  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from airnub_prefect_starter.tasks import prefect_compat  # noqa: E402


@flow
def quick_subflow(number: int) -> int:
    return number


@flow
def parent_of_quick_subflows(count: int) -> list[float]:
    seconds = []
    for number in range(count):
        started = time.perf_counter()
        quick_subflow(number)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subflows", type=int, default=5, help="sub-flows per parent run (default 5)")
    args = parser.parse_args()
    with prefect_test_harness(server_startup_timeout=120):
        prefect_compat.install()
        parent_of_quick_subflows(1)  # warm-up: the first flow run in a process pays for imports and clients
        with_fix = parent_of_quick_subflows(args.subflows)
        prefect_compat.uninstall()
        without_fix = parent_of_quick_subflows(args.subflows)
        prefect_compat.install()
    print("| heartbeat | sub-flows | mean s | max s |")
    print("|---|---|---|---|")
    for name, seconds in (("fix installed", with_fix), ("Prefect's own", without_fix)):
        print(f"| {name} | {len(seconds)} | {sum(seconds) / len(seconds):.3f} | {max(seconds):.3f} |")
    ratio = sum(with_fix) / sum(without_fix)
    print(f"with / without: {ratio:.2f} ({'within' if ratio < 0.5 else 'OVER'} the 0.5 target)")


if __name__ == "__main__":
    main()
