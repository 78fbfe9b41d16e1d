"""What the offline demo source serves: the small datasets scikit-learn ships as package data, a JSON API built
from them and two HTML pages linking to them. Pure and deterministic: the same bytes (so the same ETags) on
every call, on every machine with the same scikit-learn data files.

Routes (all ``GET``/``HEAD``)::

    /files/iris.csv, /files/wine_data.csv, /files/breast_cancer.csv    text/csv; charset=utf-8   (byte-for-byte)
    /files/linnerud_physiological.csv, /files/linnerud_exercise.csv     text/plain (space-separated)
    /api/v1/datasets                                                    application/json   listing with sha256
    /api/v1/wine/records                                                application/json   178 wine records
    /api/v1/broken                                                      text/html          not JSON, on purpose
    /pages/index.html, /pages/about.html                                text/html; charset=utf-8
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.resources
import importlib.util
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from airnub_prefect_starter.core.errors import DS_EXTRA_HINT, DemoDataError

__all__ = [
    "ABOUT_PAGE_PATH",
    "BROKEN_API_PATH",
    "CSV_CONTENT_TYPE",
    "DATASETS_API_PATH",
    "DEMO_FILES",
    "HTML_CONTENT_TYPE",
    "INDEX_PAGE_PATH",
    "JSON_CONTENT_TYPE",
    "LAST_MODIFIED",
    "TEXT_CONTENT_TYPE",
    "WINE_FEATURE_NAMES",
    "WINE_RECORDS_API_PATH",
    "DemoFile",
    "DemoResource",
    "load_demo_catalog",
    "sklearn_data_file",
]

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain"
JSON_CONTENT_TYPE = "application/json"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"

LAST_MODIFIED = "Mon, 06 Jan 2025 00:00:00 GMT"
"""The one ``Last-Modified`` of every resource (RFC 7231 IMF-fixdate); fixed so revalidation is stable."""

DATASETS_API_PATH = "/api/v1/datasets"
WINE_RECORDS_API_PATH = "/api/v1/wine/records"
#: The wine API's record keys, as scikit-learn spells the features (the processing config renames the one with a
#: slash, ``od280/od315_of_diluted_wines``, to a column name).
WINE_FEATURE_NAMES: tuple[str, ...] = (
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
)
BROKEN_API_PATH = "/api/v1/broken"
INDEX_PAGE_PATH = "/pages/index.html"
ABOUT_PAGE_PATH = "/pages/about.html"

_WINE_SOURCE = "UCI ML Wine recognition data, as bundled with scikit-learn"


@dataclass(frozen=True)
class DemoFile:
    """One data file copied unchanged from ``sklearn/datasets/data/``."""

    name: str
    filename: str
    title: str
    content_type: str = CSV_CONTENT_TYPE

    @property
    def path(self) -> str:
        return f"/files/{self.filename}"


DEMO_FILES: tuple[DemoFile, ...] = (
    DemoFile("iris", "iris.csv", "Iris flower measurements (Fisher, 1936)"),
    DemoFile("wine", "wine_data.csv", "Wine recognition chemical analysis (UCI)"),
    DemoFile("breast_cancer", "breast_cancer.csv", "Breast cancer Wisconsin diagnostic features (UCI)"),
    DemoFile("linnerud_physiological", "linnerud_physiological.csv", "Linnerud physiological", TEXT_CONTENT_TYPE),
    DemoFile("linnerud_exercise", "linnerud_exercise.csv", "Linnerud exercise", TEXT_CONTENT_TYPE),
)


@dataclass(frozen=True)
class DemoResource:
    """One response body the demo source serves at ``path``."""

    path: str
    body: bytes
    content_type: str

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def etag(self) -> str:
        """A strong validator: the quoted SHA-256 of the body."""
        return f'"{self.sha256}"'


def sklearn_data_file(filename: str) -> Traversable:
    """``sklearn/datasets/data/<filename>``, found without importing scikit-learn (which takes seconds) when
    it is installed as a plain directory; otherwise through ``importlib.resources``."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise DemoDataError(
            f"scikit-learn is not installed; the demo source serves its bundled datasets ({DS_EXTRA_HINT})"
        )
    for location in spec.submodule_search_locations or ():
        candidate = Path(location) / "datasets" / "data" / filename
        if candidate.is_file():
            return candidate
    return importlib.resources.files("sklearn.datasets") / "data" / filename


def _read_data_file(filename: str) -> bytes:
    try:
        return sklearn_data_file(filename).read_bytes()
    except (OSError, ImportError) as exc:
        raise DemoDataError(f"cannot read scikit-learn's bundled data file {filename!r}: {exc}") from exc


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _wine_records(wine_csv: bytes) -> bytes:
    """``wine_data.csv`` (header ``178,13,class_0,class_1,class_2``, then 13 features and the target) as JSON."""
    rows = list(csv.reader(io.StringIO(wine_csv.decode("utf-8"))))
    header, data = rows[0], [row for row in rows[1:] if row]
    n_samples, n_features, target_names = int(header[0]), int(header[1]), header[2:]
    if n_features != len(WINE_FEATURE_NAMES) or n_samples != len(data):
        raise DemoDataError(
            f"wine_data.csv: header says {n_samples} samples x {n_features} features, "
            f"expected {len(data)} x {len(WINE_FEATURE_NAMES)}"
        )
    records = []
    for row in data:
        record: dict[str, float | int] = {
            name: float(value) for name, value in zip(WINE_FEATURE_NAMES, row[:n_features], strict=True)
        }
        record["target"] = int(row[n_features])
        records.append(record)
    return _json_bytes(
        {
            "dataset": "wine",
            "source": _WINE_SOURCE,
            "feature_names": list(WINE_FEATURE_NAMES),
            "target_names": target_names,
            "records": records,
        }
    )


def _datasets_listing(files: Mapping[DemoFile, bytes]) -> bytes:
    datasets = [
        {
            "name": spec.name,
            "title": spec.title,
            "url": spec.path,
            "content_type": spec.content_type,
            "rows": sum(1 for line in body.splitlines()[1:] if line.strip()),
            "size_bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        for spec, body in files.items()
    ]
    return _json_bytes({"datasets": datasets})


_PROVENANCE = """<section id="provenance"><h2>Provenance and licences</h2><ul>
<li>Iris: R. A. Fisher (1936), <cite>The use of multiple measurements in taxonomic problems</cite>;
public domain.</li>
<li>Wine recognition and Breast cancer Wisconsin (diagnostic): UCI Machine Learning Repository, as bundled
with scikit-learn (BSD-3-Clause licensed package data).</li>
<li>Linnerud: Tenenhaus (1998), as bundled with scikit-learn (BSD-3-Clause licensed package data).</li>
</ul><p>Served offline from the scikit-learn installation on this machine; nothing is downloaded.</p></section>"""

_INDEX_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Project Alpha demo datasets</title></head>
<body>
<h1>Project Alpha demo datasets</h1>
<nav><a href="#datasets">Jump to the datasets</a> | <a href="about.html">About these pages and more data</a></nav>
<section id="datasets"><h2>Datasets</h2><ul>
<li><a href="../files/iris.csv">Iris flower measurements (CSV)</a>: 150 samples, 4 features, 3 species.</li>
<li><a href="../files/wine_data.csv">Wine recognition chemical analysis (CSV)</a>: 178 samples, 13 features.</li>
<li><a href="/files/breast_cancer.csv">Breast cancer Wisconsin diagnostic features (CSV)</a>:
569 samples, 30 features.</li>
</ul></section>
<p>Questions? <a href="mailto:data-team@example.org">Email the data team</a>
or <a href="javascript:void(0)">open the chat</a>.
Original sources: <a href="https://archive.ics.uci.edu/">UCI Machine Learning Repository</a>.</p>
{_PROVENANCE}
</body></html>
"""

_ABOUT_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><base href="/files/"><title>About the Project Alpha demo data</title>
</head>
<body>
<h1>About the Project Alpha demo data</h1>
<p>This page sets <code>&lt;base href="/files/"&gt;</code>, so its relative links resolve under /files/.</p>
<ul>
<li><a href="linnerud_physiological.csv">Linnerud physiological measurements (weight, waist, pulse)</a></li>
<li><a href="linnerud_exercise.csv">Linnerud exercise results (chins, situps, jumps)</a></li>
</ul>
<p><a href="/pages/index.html">Back to the dataset index</a></p>
{_PROVENANCE}
</body></html>
"""

_BROKEN_API_BODY = b"""<!DOCTYPE html>
<html><head><title>Down for maintenance</title></head>
<body><h1>Down for maintenance</h1><p>This endpoint returns HTML instead of JSON, on purpose.</p></body></html>
"""


@functools.cache
def load_demo_catalog() -> Mapping[str, DemoResource]:
    """Every resource by path (read once per process; raises :class:`DemoDataError` without scikit-learn)."""
    files = {spec: _read_data_file(spec.filename) for spec in DEMO_FILES}
    wine = next(body for spec, body in files.items() if spec.name == "wine")
    resources = [DemoResource(spec.path, body, spec.content_type) for spec, body in files.items()]
    resources += [
        DemoResource(DATASETS_API_PATH, _datasets_listing(files), JSON_CONTENT_TYPE),
        DemoResource(WINE_RECORDS_API_PATH, _wine_records(wine), JSON_CONTENT_TYPE),
        DemoResource(BROKEN_API_PATH, _BROKEN_API_BODY, HTML_CONTENT_TYPE),
        DemoResource(INDEX_PAGE_PATH, _INDEX_PAGE.encode("utf-8"), HTML_CONTENT_TYPE),
        DemoResource(ABOUT_PAGE_PATH, _ABOUT_PAGE.encode("utf-8"), HTML_CONTENT_TYPE),
    ]
    return MappingProxyType({resource.path: resource for resource in resources})
