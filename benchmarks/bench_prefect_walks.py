"""What Prefect's generic machinery costs an `airnub run` over many files: the visits and CPU time of its collection
walker (``prefect.utilities.collections.visit_collection``: resolving futures and states in parameters and results,
collecting task inputs, resolving block references) and of its flow parameter check (``Flow.validate_parameters``).

Usage: ``python benchmarks/bench_prefect_walks.py [--files 1000] [--repeat 3]``

Each round runs ``airnub run project_alpha ingestion --config FILE`` (the first run, then the unchanged re-run) in a
child process that counts every ``visit_collection`` call and the CPU time (its own thread's) inside the outermost
ones and inside ``validate_parameters``, for 1 file and for ``--files`` files; the table shows the medians and the
difference (what the extra files cost). A real ``prefect server start`` (SQLite, temporary PREFECT_HOME) runs for
the whole benchmark; the files are 1 KiB each, from a loopback server in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _support import run_child, start_prefect_server, static_server
from bench_many_files import write_config


class _Meter:
    """Calls of a function, and CPU time of the calling thread inside its outermost calls (nested calls are in it)."""

    def __init__(self) -> None:
        self.calls = 0
        self.cpu = 0.0
        self._depth = threading.local()

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            depth = getattr(self._depth, "n", 0)
            self._depth.n = depth + 1
            started = time.thread_time() if depth == 0 else 0.0
            try:
                return function(*args, **kwargs)
            finally:
                self._depth.n = depth
                if depth == 0:
                    self.cpu += time.thread_time() - started

        return measured


def child(argv: list[str], report: Path) -> None:
    """Run the CLI in this process with both meters in place; write what they saw to ``report``."""
    import prefect.flows
    from prefect.utilities import collections as prefect_collections

    from airnub_prefect_starter.cli.main import app

    walks, checks = _Meter(), _Meter()
    original = prefect_collections.visit_collection
    spy = walks.wrap(original)
    for name, module in list(sys.modules.items()):
        if name.startswith("prefect") and vars(module).get("visit_collection") is original:
            module.visit_collection = spy  # type: ignore[attr-defined]
    prefect_collections.visit_collection = spy  # its own recursive calls too
    prefect.flows.Flow.validate_parameters = checks.wrap(prefect.flows.Flow.validate_parameters)  # type: ignore[method-assign]
    try:
        app(argv, prog_name="airnub")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    report.write_text(
        json.dumps({"code": code, "visits": walks.calls, "visit cpu": walks.cpu, "validate cpu": checks.cpu})
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airnub-bench-walks-"))
    measured: dict[str, list[float]] = {}
    try:
        served = work / "served"
        served.mkdir()
        for i in range(args.files):
            (served / f"f{i:05d}.bin").write_bytes(os.urandom(1024))
        server, api = start_prefect_server(work / "prefect-home")
        try:
            with static_server(served) as base:
                urls = [f"{base}/f{i:05d}.bin" for i in range(args.files)]
                configs = {n: write_config(work / f"ingestion-{n}.yaml", urls[:n]) for n in (1, args.files)}
                for attempt in range(args.repeat):
                    for n in (1, args.files):
                        env = {
                            **os.environ,
                            "PREFECT_API_URL": api,
                            "PREFECT_HOME": str(work / "prefect-home"),
                            "AIRNUB_DATA_DIR": str(work / f"data-{n}-{attempt}"),
                            "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
                        }
                        for label in ("first", "rerun"):
                            seen_file = work / "seen.json"
                            argv = ["run", "project_alpha", "ingestion", "--json", "--config", str(configs[n])]
                            run = run_child([sys.executable, __file__, "--child", str(seen_file), *argv], env)
                            seen = json.loads(seen_file.read_text())
                            assert seen["code"] == 0 and run.returncode == 0, (label, n, seen, run.stdout[-500:])
                            for key in ("visits", "visit cpu", "validate cpu"):
                                measured.setdefault(f"{label} {key} {n}", []).append(seen[key])
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(args.files, args.repeat, measured)


def report(n: int, repeat: int, measured: dict[str, list[float]]) -> None:
    print(f"airnub run project_alpha ingestion, 1 and {n} files of 1 KiB; medians of {repeat}")
    columns = (
        ("visits", "visits", 1),
        ("visit cpu", "visit_collection CPU ms", 1e3),
        ("validate cpu", "validate_parameters CPU ms", 1e3),
    )
    print(f"{'':<6}" + "".join(f"{title:>30}" for _, title, _ in columns))
    print(f"{'':<6}" + f"{'1':>10}{n:>10}{'+':>10}" * len(columns))
    for label in ("first", "rerun"):
        row = f"{label:<6}"
        for key, _, scale in columns:
            one, many = (statistics.median(measured[f"{label} {key} {m}"]) * scale for m in (1, n))
            row += f"{one:>10.1f}{many:>10.1f}{many - one:>10.1f}"
        print(row)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[3:], Path(sys.argv[2]))
    else:
        main()
