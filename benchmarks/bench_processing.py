"""Processing a large CSV into a declared dataset with `airnub run`, next to pandas and a raw polars floor in the
same run, at 150 MB and 2 GB: time, rows per second and peak RSS.

Usage: ``python benchmarks/bench_processing.py [--mb 150 2000] [--repeat 3] [--large-repeat 1]
[--measure airnub pandas polars] [--analysis]``

The input is the sensor readings of ``sensor_readings.py`` (8 columns: int primary key, two categories, an ISO 8601
datetime, a float and an int with ``min``/``max``, a code with a ``regex``, nullable free text; 0.5 % of the rows
break exactly one check), served from a loopback server and stored by ``airnub run DEPT ingestion`` once per size.
Then, in rounds, each measurement in its own child process:

- airnub: ``airnub run project_alpha processing --config ...`` building the declared dataset (types, checks,
  primary key; good rows to Parquet, bad rows to the quarantine file with line, column, check and value): the
  **marginal** wall time, the median run over the file minus the median run over a 1-row file of the same schema
  (interpreter start, imports and flow-run creation cancel out), and the peak RSS of the whole ``airnub run``
  process. The counts it reports (rows kept, quarantined, quarantined per check) must be exactly the generator's;
- pandas: ``read_csv`` then ``to_parquet``, no checks (the naive baseline);
- polars floor: ``scan_csv`` (every column as text), the same casts and checks and the primary key, good rows
  streamed to Parquet with ``sink_parquet``, no line numbers and no quarantine file (what the library alone costs).

Both baselines time themselves after their imports. Sizes of 1000 MB and more run ``--large-repeat`` rounds;
``--measure`` picks some of the three (``--measure pandas polars`` needs no Prefect server).
``--analysis`` then runs ``airnub run project_alpha analysis`` (statistics, figures, the default model and report)
on the largest dataset built: its wall time and peak RSS. A real ``prefect server start`` (SQLite, temporary
``PREFECT_HOME``) serves the runs; every round writes into a new folder and nothing is deleted before the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from _support import HERE, VENV_BIN, ChildRun, run_child, start_prefect_server, static_server
from sensor_readings import SCHEMA, SensorFile, write_sensor_csv

DATASET = "readings"
#: Sizes measured with this many rounds at most (``--large-repeat``).
LARGE_MB = 1000

PANDAS_CHILD = """
import sys, time
import pandas as pd
started = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
frame.to_parquet(sys.argv[2])
print(len(frame), time.perf_counter() - started)
"""

POLARS_CHILD = """
import json, sys, time
import polars as pl
import pyarrow.parquet as pq
from sensor_readings import DATETIME_FORMAT

schema = json.loads(sys.argv[3])
casts = {
    "int": lambda c: c.str.strip_chars().cast(pl.Int64, strict=False),
    "float": lambda c: c.str.strip_chars().cast(pl.Float64, strict=False),
    "datetime": lambda c: c.str.strip_chars().str.to_datetime(DATETIME_FORMAT, time_zone="UTC", strict=False),
    "str": lambda c: c,
    "category": lambda c: c,
}
started = time.perf_counter()
typed, good = [], []
for column in schema["columns"]:
    name, checks = column["name"], column.get("checks", {})
    typed.append(casts[column["type"]](pl.col(name)).alias(name))
    value = pl.col(name)
    passes = [] if column.get("nullable") else [value.is_not_null()]
    if "min" in checks:
        passes.append(value >= checks["min"])
    if "max" in checks:
        passes.append(value <= checks["max"])
    if "allowed" in checks:
        passes.append(value.is_in(checks["allowed"]))
    if "regex" in checks:
        passes.append(value.str.contains(f"^(?:{checks['regex']})$"))
    good.extend(p.fill_null(column.get("nullable", False)) for p in passes)
categories = [c["name"] for c in schema["columns"] if c["type"] == "category"]
key = schema["primary_key"]
(
    pl.scan_csv(sys.argv[1], infer_schema=False)
    .select(typed)
    .filter(pl.all_horizontal(good))
    .filter(pl.struct(key).is_first_distinct() if len(key) > 1 else pl.col(key[0]).is_first_distinct())
    .with_columns(pl.col(categories).cast(pl.Categorical))
    .sink_parquet(sys.argv[2])
)
seconds = time.perf_counter() - started
print(pq.ParquetFile(sys.argv[2]).metadata.num_rows, seconds)
"""


@dataclass(frozen=True)
class Measured:
    """One measurement's rounds: seconds (marginal for airnub), peak RSS in MB, rows kept and quarantined."""

    seconds: list[float]
    peak_rss_mb: list[float]
    kept: int
    quarantined: int | None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def ingestion_config(path: Path, url: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "http": {"allow_private_networks": True, "max_bytes": 64 * 1024**3},
                "scheduled_file_downloads": {
                    "data_source_name": "bench",
                    "local_artifacts_storage_base": "downloads",
                    "files_to_acquire": [{"name": DATASET, "url": url}],
                },
            }
        )
    )
    return path


def processing_config(path: Path, filename: str, output_base: str) -> Path:
    dataset = {"name": DATASET, "input": {"data_source_name": "bench", "filename": filename}, "format": "csv"}
    config = {"output_base": output_base, "tabular_files": {"datasets": [{**dataset, "schema": SCHEMA}]}}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def analysis_config(path: Path, datasets_base: str) -> Path:
    path.write_text(
        yaml.safe_dump({"datasets_base": datasets_base, "classification_reports": {"datasets": [{"name": DATASET}]}})
    )
    return path


class Airnub:
    """``airnub run project_alpha STAGE`` against one data dir and the benchmark's Prefect server."""

    def __init__(self, work: Path, api: str, data_dir: Path) -> None:
        self.work, self.data_dir = work, data_dir
        self.env = {
            **os.environ,
            "PREFECT_API_URL": api,
            "PREFECT_HOME": str(work / "prefect-home"),
            "AIRNUB_DATA_DIR": str(data_dir),
            "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
        }

    def run(self, stage: str, config: Path) -> tuple[ChildRun, dict[str, Any]]:
        command = [str(VENV_BIN / "airnub"), "run", "project_alpha", stage, "--json", "--config", str(config)]
        run = run_child(command, self.env)
        if run.returncode:
            raise SystemExit(f"airnub run {stage} failed ({run.returncode}): {run.stdout[-2000:]}")
        return run, json.loads(run.stdout)


def ingest(airnub: Airnub, base: str, csv: Path) -> None:
    """Store ``csv`` (served from ``base``) into ``airnub``'s data dir, as `airnub run ... ingestion` does."""
    config = ingestion_config(airnub.work / f"ingestion-{csv.stem}.yaml", f"{base}/{csv.name}")
    _, summary = airnub.run("ingestion", config)
    assert summary["counts"].get("stored") == 1, summary


def process(airnub: Airnub, csv: SensorFile, output_base: str) -> tuple[ChildRun, dict[str, Any]]:
    """Build the dataset from ``csv`` into the new folder ``output_base``; the counts must be the generator's."""
    config_path = airnub.work / f"processing-{csv.path.stem}-{output_base}.yaml"
    config = processing_config(config_path, csv.path.name, output_base)
    run, summary = airnub.run("processing", config)
    [item] = summary["items"]
    assert item["status"] == "built", item
    got = (item["rows_in"], item["rows_out"], item["quarantined"], item["quarantine_counts"])
    assert got == (csv.rows, csv.kept, csv.quarantined, csv.bad), (got, csv)
    return run, item


MEASUREMENTS = ("airnub", "pandas", "polars")
LABELS = {
    "airnub": "airnub run processing (marginal)",
    "pandas": "pandas read_csv + to_parquet, no checks",
    "polars": "polars scan_csv + checks + sink_parquet",
}
BASELINES = {"pandas": PANDAS_CHILD, "polars": POLARS_CHILD}


@dataclass(frozen=True)
class SizeResult:
    """One CSV size: its file, the rounds run, each measurement and the 1-row airnub runs (the fixed cost)."""

    csv: SensorFile
    rounds: int
    measured: dict[str, Measured]
    fixed: list[ChildRun]


def baseline(label: str, csv: SensorFile, out: Path) -> tuple[float, float, int]:
    """Seconds (after imports), peak RSS and rows written of the ``label`` baseline child on ``csv``."""
    command = [sys.executable, "-c", BASELINES[label], str(csv.path), str(out), json.dumps(SCHEMA)]
    run = run_child(command, {**os.environ, "PYTHONPATH": str(HERE)})
    if run.returncode:
        raise SystemExit(f"{label} failed ({run.returncode})")
    rows, seconds = run.stdout.split()
    return float(seconds), run.peak_rss_mb, int(rows)


def measure_size(
    work: Path, airnubs: tuple[Airnub, Airnub] | None, csv: SensorFile, one: SensorFile, rounds: int, labels: list[str]
) -> SizeResult:
    """``rounds`` rounds of the ``labels`` measurements on ``csv`` (airnub: the stored ``csv`` and ``one``)."""
    runs: dict[str, list[tuple[float, float, int]]] = {label: [] for label in labels}
    fixed: list[ChildRun] = []
    for number in range(rounds):
        print(f"{csv.size_mb:,.0f} MB: round {number + 1} of {rounds}", file=sys.stderr, flush=True)
        if airnubs is not None:
            airnub, small = airnubs
            fixed.append(process(small, one, f"processed-{number}")[0])
            full, item = process(airnub, csv, f"processed-{number}")
            runs["airnub"].append((full.seconds, full.peak_rss_mb, item["rows_out"]))
        for label in BASELINES:
            if label in runs:
                runs[label].append(baseline(label, csv, work / f"{label}-{csv.path.stem}-{number}.parquet"))
    expected = {"airnub": csv.kept, "pandas": csv.rows, "polars": csv.kept}
    if fixed:  # marginal: minus the median 1-row run
        one_row = statistics.median(run.seconds for run in fixed)
        runs["airnub"] = [(seconds - one_row, rss, rows) for seconds, rss, rows in runs["airnub"]]
    for label, values in runs.items():
        assert all(rows == expected[label] for *_, rows in values), (label, values, expected[label])
    measured = {
        label: Measured(
            [seconds for seconds, _, _ in values],
            [rss for _, rss, _ in values],
            expected[label],
            None if label == "pandas" else csv.quarantined,
        )
        for label, values in runs.items()
    }
    return SizeResult(csv, rounds, measured, fixed)


def report(results: list[SizeResult]) -> None:
    print("| CSV | rows | measurement | time | rows/s | peak RSS | vs pandas | kept | quarantined |")
    print("|---|---|---|---|---|---|---|---|---|")
    for result in results:
        csv, pandas = result.csv, result.measured.get("pandas")
        for label, m in result.measured.items():
            ratio = f"{m.median / pandas.median:.2f}x" if pandas else "-"
            quarantined = "-" if m.quarantined is None else f"{m.quarantined:,}"
            print(
                f"| {csv.size_mb:,.0f} MB | {csv.rows:,} | {LABELS[label]} | {m.median:.2f} s | "
                f"{csv.rows / m.median:,.0f} | {max(m.peak_rss_mb):,.0f} MB | {ratio} | {m.kept:,} | {quarantined} |"
            )
    print()
    for result in results:
        csv, airnub, pandas, fixed = result.csv, *map(result.measured.get, ("airnub", "pandas")), result.fixed
        line = f"{csv.size_mb:,.0f} MB, medians of {result.rounds}; quarantined per check: {csv.bad}"
        if airnub is not None and fixed:
            peak = max(airnub.peak_rss_mb)
            one_row = statistics.median(run.seconds for run in fixed)
            line += f"; the 1-row airnub run: {one_row:.2f} s, peak RSS {max(r.peak_rss_mb for r in fixed):,.0f} MB"
            if pandas is not None:
                line += (
                    f"; airnub takes {airnub.median / pandas.median:.2f}x pandas' time (target <= 1.0x, goal 0.6x), "
                    f"peak RSS {peak:,.0f} MB against pandas' {max(pandas.peak_rss_mb):,.0f} MB (target: not above)"
                )
            if csv.size_mb >= LARGE_MB:
                line += f"; peak RSS {peak:,.0f} MB (target below 1,500 MB)"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[150, 2000], help="CSV sizes in MB (default 150 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size (medians are reported)")
    parser.add_argument("--large-repeat", type=int, default=1, help=f"rounds for sizes of {LARGE_MB} MB and more")
    parser.add_argument(
        "--measure", nargs="+", choices=MEASUREMENTS, default=list(MEASUREMENTS), help="what to measure (default all)"
    )
    parser.add_argument("--analysis", action="store_true", help="then run the analysis stage on the largest size")
    args = parser.parse_args()
    labels = [label for label in MEASUREMENTS if label in args.measure]
    if args.analysis and "airnub" not in labels:
        parser.error("--analysis needs the airnub measurement (it analyses the dataset airnub built)")
    work = Path(tempfile.mkdtemp(prefix="airnub-bench-processing-"))
    results = []
    server = None
    try:
        served = work / "served"
        served.mkdir()
        one = write_sensor_csv(served / "readings-1row.csv", rows=1)
        if "airnub" in labels:
            server, api = start_prefect_server(work / "prefect-home")
        with static_server(served) as base:
            for mb in sorted(args.mb):
                csv = write_sensor_csv(served / f"readings-{mb:g}mb.csv", mb=mb)
                airnubs = None
                if server is not None:
                    airnubs = (Airnub(work, api, work / f"data-{mb:g}"), Airnub(work, api, work / f"data-{mb:g}-one"))
                    ingest(airnubs[0], base, csv.path)
                    ingest(airnubs[1], base, one.path)
                rounds = min(args.repeat, args.large_repeat) if mb >= LARGE_MB else args.repeat
                results.append(measure_size(work, airnubs, csv, one, rounds, labels))
        report(results)
        if args.analysis and airnubs is not None:
            config = analysis_config(work / "analysis.yaml", f"processed-{results[-1].rounds - 1}")
            run, summary = airnubs[0].run("analysis", config)
            assert summary["counts"].get("analysed") == 1, summary
            print(
                f"\nairnub run analysis on the {csv.size_mb:,.0f} MB dataset ({csv.kept:,} rows): "
                f"{run.seconds:.2f} s wall, peak RSS {run.peak_rss_mb:,.0f} MB"
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
