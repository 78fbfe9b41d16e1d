"""Raw inputs found through the manifest index (SQLite and PostgreSQL), and traced back to their URLs."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
import sqlalchemy as sa

from airnub_prefect_starter.core.errors import RawInputNotFoundError
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex
from airnub_prefect_starter.core.store.lineage import select_raw_inputs, source_urls
from airnub_prefect_starter.processing.config import RawInputSelector

V1, V2, OTHER = "1" * 64, "2" * 64, "3" * 64


@pytest.fixture
def index(index_url: str) -> Iterator[ManifestIndex]:
    opened = ManifestIndex(index_url)
    yield opened
    opened.close()


class Fetches:
    """Record fetches one simulated day apart, so 'changed last' is unambiguous."""

    def __init__(self, index: ManifestIndex) -> None:
        self.index, self.day = index, 0

    def __call__(self, sha256: str, url: str, name: str, filename: str = "iris.csv", source: str = "files") -> None:
        self.day += 1
        obj = IndexedObject(
            data_source_name=source,
            sha256=sha256,
            storage_base="/store",
            relative_path=f"{source}/{sha256}/{filename}",
            filename=filename,
            size_bytes=1,
            content_type=None,
            kind="file",
            first_source_url=url,
            created_at=datetime(2026, 1, self.day, tzinfo=UTC),
        )
        now = datetime(2026, 1, self.day, tzinfo=UTC)
        self.index.record_fetch(obj, url=url, name=name, etag=None, last_modified=None, now=now)


def selector(**fields: str) -> RawInputSelector:
    return RawInputSelector.model_validate({"data_source_name": "files", **fields})


def test_select_latest_raw_input_by_filename_returns_store_path_and_every_url(index: ManifestIndex) -> None:
    fetch = Fetches(index)
    fetch(V1, "http://h/iris.csv", "iris")
    fetch(V1, "http://mirror/iris.csv", "iris_mirror")
    fetch(OTHER, "http://h/wine.csv", "wine", filename="wine.csv")

    raw = select_raw_inputs(index, selector(filename="iris.csv"), "latest")[0]

    assert (raw.data_source_name, raw.sha256, raw.filename) == ("files", V1, "iris.csv")
    assert raw.location == str(Path("/store/files") / V1 / "iris.csv")
    assert raw.urls == ("http://h/iris.csv", "http://mirror/iris.csv")


def test_select_latest_raw_input_by_item_name(index: ManifestIndex) -> None:
    fetch = Fetches(index)
    fetch(V1, "http://h/api/records", "wine_records", filename="records")
    fetch(OTHER, "http://h/api/datasets", "catalog", filename="datasets")

    assert select_raw_inputs(index, selector(name="wine_records"), "latest")[0].sha256 == V1
    assert select_raw_inputs(index, selector(name="catalog", filename="datasets"), "latest")[0].sha256 == OTHER


def test_select_latest_raw_input_follows_the_urls_current_content(index: ManifestIndex) -> None:
    fetch = Fetches(index)
    fetch(V1, "http://h/iris.csv", "iris")
    fetch(V2, "http://h/iris.csv", "iris")
    assert select_raw_inputs(index, selector(filename="iris.csv"), "latest")[0].sha256 == V2

    fetch(V1, "http://h/iris.csv", "iris")  # the source went back to its first content (already stored)

    assert select_raw_inputs(index, selector(filename="iris.csv"), "latest")[0].sha256 == V1


def test_select_latest_raw_input_prefers_the_url_that_changed_last(index: ManifestIndex) -> None:
    fetch = Fetches(index)
    fetch(V1, "http://h/2025/iris.csv", "iris_2025")
    fetch(V2, "http://h/2026/iris.csv", "iris_2026")

    assert select_raw_inputs(index, selector(filename="iris.csv"), "latest")[0].sha256 == V2


def test_select_latest_raw_input_names_what_the_source_holds_when_nothing_matches(index: ManifestIndex) -> None:
    Fetches(index)(V1, "http://h/iris.csv", "iris")

    with pytest.raises(
        RawInputNotFoundError, match=r"matches files\[filename='wine.csv'\]; current objects there: iris"
    ):
        select_raw_inputs(index, selector(filename="wine.csv"), "latest")[0]
    with pytest.raises(RawInputNotFoundError, match=r"the data source has no objects \(run ingestion\)"):
        select_raw_inputs(index, RawInputSelector(data_source_name="empty", filename="iris.csv"), "latest")


def test_raw_input_not_found_error_round_trips_through_pickle() -> None:
    error = RawInputNotFoundError("files[filename='x']", ["a (a)"])

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is RawInputNotFoundError and str(copy) == str(error) and copy.selector == error.selector


def test_source_urls_traces_sha256s_across_data_sources(index: ManifestIndex) -> None:
    fetch = Fetches(index)
    fetch(V1, "http://h/files/iris.csv", "iris")
    fetch(V1, "http://h/files/iris.csv", "iris.csv", source="pages")
    fetch(V1, "http://mirror/iris.csv", "iris.csv", source="pages")
    fetch(V2, "http://h/files/wine.csv", "wine", filename="wine.csv")

    assert source_urls(index, [V1, "f" * 64]) == [(V1, "http://h/files/iris.csv"), (V1, "http://mirror/iris.csv")]


def test_select_raw_inputs_latest_is_every_urls_current_object_and_all_is_every_version(index: ManifestIndex) -> None:
    fetch = Fetches(index)
    fetch(V1, "http://h/a/iris.csv", "iris")
    fetch(V2, "http://h/a/iris.csv", "iris")  # URL a moved on from V1
    fetch(OTHER, "http://h/b/iris.csv", "iris")
    fetch(V2, "http://mirror/iris.csv", "iris")  # a second URL serving V2 counts once

    latest = select_raw_inputs(index, selector(filename="iris.csv"), "latest")
    every = select_raw_inputs(index, selector(name="iris"), "all")

    assert [raw.sha256 for raw in latest] == [V2, OTHER]
    assert [raw.sha256 for raw in every] == [OTHER, V2, V1]
    with pytest.raises(RawInputNotFoundError, match="wine.csv"):
        select_raw_inputs(index, selector(filename="wine.csv"), "all")


def test_select_by_filename_matches_the_name_each_url_gave_identical_bytes(index: ManifestIndex) -> None:
    first = IndexedObject(
        data_source_name="files",
        sha256=V1,
        storage_base="/store",
        relative_path=f"files/{V1}/iris.csv",
        filename="iris.csv",
        size_bytes=1,
        content_type=None,
        kind="file",
        first_source_url="http://h/iris.csv",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    for day, (url, name, filename) in enumerate(
        [("http://h/iris.csv", "iris", "iris.csv"), ("http://h/download?id=7", "flowers", "flowers.csv")], start=1
    ):  # the second URL named the same bytes flowers.csv (its Content-Disposition); the object keeps iris.csv
        now = datetime(2026, 1, day, tzinfo=UTC)
        index.record_fetch(first, url=url, name=name, etag=None, last_modified=None, now=now, filename=filename)

    for versions in ("latest", "all"):
        [by_second] = select_raw_inputs(index, selector(filename="flowers.csv"), versions)  # type: ignore[arg-type]
        [by_first] = select_raw_inputs(index, selector(filename="iris.csv"), versions)  # type: ignore[arg-type]
        assert by_second.sha256 == by_first.sha256 == V1
        assert by_second.location == str(Path("/store/files") / V1 / "iris.csv")
        with pytest.raises(RawInputNotFoundError, match=r"flowers.csv \(flowers\), iris.csv \(iris\)"):
            select_raw_inputs(index, selector(filename="flowers.csv", name="iris"), versions)  # type: ignore[arg-type]


@pytest.mark.parametrize("versions", ["all", "latest"])
@pytest.mark.parametrize("fields", [{"filename": "iris.csv"}, {"name": "part"}], ids=["by-filename", "by-name"])
def test_select_raw_inputs_makes_the_same_few_queries_for_3_objects_as_for_30(
    index: ManifestIndex, versions: Literal["latest", "all"], fields: dict[str, str]
) -> None:
    def queries_for(objects: int) -> int:
        fetch = Fetches(index)
        for number in range(objects):
            fetch(f"{objects:02d}{number:062d}", f"http://h/{objects}/{number}.csv", "part", source=f"n{objects}")
        queries: list[str] = []
        engine = index._engine

        def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
            if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN per transaction
                queries.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            found = select_raw_inputs(index, selector(**fields, data_source_name=f"n{objects}"), versions)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert len(found) == objects
        return len(queries)

    assert queries_for(30) == queries_for(3) <= 3
