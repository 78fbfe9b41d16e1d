"""Processing a large CSV into a declared dataset: rows per second and peak RSS, next to the naive way in the same run.

Usage: ``python benchmarks/bench_processing.py [--mb 100] [--repeat 3]``

A CSV of about ``--mb`` MB (id, date, name, category, amount, quantity, flag; 1 % of the rows break a check) is
stored through the ingestion core from a loopback server, then each measurement runs in its own child process:

- airnub: ``build_dataset`` with a declared schema (types, nullability, ``min``/``allowed``/``regex``/``unique``
  checks, a primary key): the rows that pass go to Parquet, the others to the quarantine file;
- naive: ``pandas.read_csv`` then ``to_parquet`` of the same file, with no checks and no quarantine.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _support import run_child, static_server

SCHEMA = {
    "name": "orders",
    "input": {"data_source_name": "bench", "filename": "orders.csv"},
    "format": "csv",
    "schema": {
        "columns": [
            {"name": "order_id", "type": "int", "checks": {"min": 1, "unique": True}},
            {"name": "ordered_on", "type": "date"},
            {"name": "customer", "type": "str", "checks": {"regex": "C[0-9]{6}"}},
            {"name": "channel", "type": "category", "checks": {"allowed": ["web", "shop", "phone"]}},
            {"name": "amount", "type": "float", "checks": {"min": 0}},
            {"name": "quantity", "type": "int", "checks": {"min": 1}},
            {"name": "gift", "type": "bool", "nullable": True},
        ],
        "primary_key": ["order_id"],
    },
}

AIRNUB_CHILD = """
import json, sys, time
from pathlib import Path
from airnub_prefect_starter.processing.config import DatasetSpec
from airnub_prefect_starter.processing.datasets import ProcessingRuntime, build_dataset
spec = DatasetSpec.model_validate(json.loads(sys.argv[1]))
runtime = ProcessingRuntime("bench", Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
started = time.perf_counter()
outcome = build_dataset(spec, runtime)
print(outcome.rows_in, outcome.rows_out, outcome.rows_quarantined, time.perf_counter() - started)
"""

NAIVE_CHILD = """
import sys, time
import pandas as pd
started = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
frame.to_parquet(sys.argv[2])
print(len(frame), time.perf_counter() - started)
"""


def write_csv(path: Path, megabytes: int) -> int:
    """About ``megabytes`` MB of orders; every 100th row breaks one check. Returns the number of data rows."""
    rng = random.Random(20261203)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "ordered_on", "customer", "channel", "amount", "quantity", "gift"])
        while handle.tell() < megabytes * 1_000_000:
            rows += 1
            bad = rows % 100 == 0
            writer.writerow(
                [
                    rows,
                    f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    f"C{rng.randint(0, 999_999):06d}",
                    "fax" if bad else rng.choice(("web", "shop", "phone")),
                    f"{rng.uniform(1, 500):.2f}",
                    rng.randint(1, 9),
                    rng.choice(("true", "false", "")),
                ]
            )
    return rows


def store(csv_path: Path, work: Path) -> str:
    """Ingest ``csv_path`` through the core from a loopback server; returns the index URL."""
    from airnub_prefect_starter.core.http.policy import HttpPolicy
    from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
    from airnub_prefect_starter.ingestion.config import FileToAcquire

    index_url = f"sqlite:///{work / 'index.sqlite3'}"
    policy = HttpPolicy(allow_private_networks=True)
    with static_server(csv_path.parent) as base:
        runtime = BatchRuntime("bench", "bench", work / "store", index_url, policy, data_dir=work)
        [outcome] = ingest_batch("download", [FileToAcquire(name="orders", url=f"{base}/{csv_path.name}")], runtime)
    assert outcome.status == "stored", outcome
    return index_url


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the CSV in MB (default 100)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airnub-bench-processing-"))
    try:
        served = work / "served"
        served.mkdir()
        csv_path = served / "orders.csv"
        rows = write_csv(csv_path, args.mb)
        index_url = store(csv_path, work)
        airnub, naive = [], []
        for round_number in range(args.repeat):
            out = work / f"out{round_number}"
            run = run_child([sys.executable, "-c", AIRNUB_CHILD, json.dumps(SCHEMA), str(out), index_url, str(work)])
            rows_in, rows_out, quarantined, seconds = run.stdout.split()
            assert int(rows_in) == rows and int(quarantined) == rows // 100, run.stdout
            airnub.append((float(seconds), run.peak_rss_mb, int(rows_out), int(quarantined)))
            shutil.rmtree(out)
            plain = run_child([sys.executable, "-c", NAIVE_CHILD, str(csv_path), str(work / "naive.parquet")])
            naive.append((float(plain.stdout.split()[1]), plain.peak_rss_mb))
        size_mb = csv_path.stat().st_size / 1e6
        a_s, n_s = statistics.median(x[0] for x in airnub), statistics.median(x[0] for x in naive)
        print(f"{size_mb:.0f} MB CSV, {rows} rows, medians of {args.repeat}")
        peak = max(x[1] for x in airnub)
        print(
            f"airnub build_dataset: {a_s:6.2f} s, {rows / a_s:9.0f} rows/s, peak RSS {peak:.0f} MB "
            f"({airnub[0][2]} rows kept, {airnub[0][3]} quarantined with column, check and value)"
        )
        print(
            f"pandas read_csv + to_parquet (no checks): {n_s:6.2f} s, {rows / n_s:9.0f} rows/s, "
            f"peak RSS {max(x[1] for x in naive):.0f} MB"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
