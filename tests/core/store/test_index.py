"""The manifest index on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from airnub_prefect_starter.core.errors import ManifestIndexError
from airnub_prefect_starter.core.store.index import FetchRecord, IndexedObject, ManifestIndex

SHA = "a" * 64


def obj(sha: str = SHA, source: str = "src") -> IndexedObject:
    return IndexedObject(
        data_source_name=source,
        sha256=sha,
        storage_base="/store",
        relative_path=f"{source}/{sha}/f.csv",
        filename="f.csv",
        size_bytes=10,
        content_type="text/csv",
        kind="file",
        first_source_url="http://h/f.csv",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_index_records_object_once_per_source_and_sha(index_url: str) -> None:
    index = ManifestIndex(index_url)
    try:
        first = index.record_fetch(obj(), url="http://h/f.csv", name="f", etag='"1"', last_modified=None)
        second = index.record_fetch(obj(), url="http://h/copy.csv", name="copy", etag=None, last_modified=None)

        assert (first, second) == (True, False)
        assert index.count_rows() == {"cas_objects": 1, "object_sources": 2, "url_states": 2}
        assert [s.url for s in index.sources_of("src", SHA)] == ["http://h/f.csv", "http://h/copy.csv"]
    finally:
        index.close()


def test_index_url_state_tracks_latest_sha_and_validators(index_url: str) -> None:
    index = ManifestIndex(index_url)
    try:
        index.record_fetch(obj(), url="http://h/f.csv", name="f", etag='"1"', last_modified="Mon")
        index.record_fetch(obj("b" * 64), url="http://h/f.csv", name="f", etag='"2"', last_modified=None)
        index.touch_unchanged("src", "http://h/f.csv", etag=None, last_modified="Tue")

        state = index.url_state("src", "http://h/f.csv")
        assert state is not None
        assert (state.sha256, state.etag, state.last_modified) == ("b" * 64, '"2"', "Tue")
        assert index.url_state("other", "http://h/f.csv") is None
    finally:
        index.close()


def test_index_keys_urls_by_full_url_but_stores_redacted(index_url: str) -> None:
    index = ManifestIndex(index_url)
    try:
        index.record_fetch(obj(), url="http://h/f?token=one", name="f", etag=None, last_modified=None)
        index.record_fetch(obj(), url="http://h/f?token=two", name="f", etag=None, last_modified=None)

        assert [s.url for s in index.sources_of("src", SHA)] == ["http://h/f?token=REDACTED"] * 2
    finally:
        index.close()


def test_index_survives_reopen(index_url: str) -> None:
    ManifestIndex(index_url).record_fetch(obj(), url="http://h/f.csv", name="f", etag=None, last_modified=None)

    reopened = ManifestIndex(index_url)
    try:
        assert [o.sha256 for o in reopened.list_objects()] == [SHA]
        assert [o.sha256 for o in reopened.find_objects("aaaa")] == [SHA]
    finally:
        reopened.close()


def test_index_unreachable_postgres_raises_typed_error() -> None:
    with pytest.raises(ManifestIndexError, match="cannot|manifest index"):
        ManifestIndex("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_index_current_objects_follow_each_urls_latest_content(index_url: str) -> None:
    index = ManifestIndex(index_url)
    try:
        for day, (sha, url, name, source) in enumerate(
            [
                (SHA, "http://h/f.csv", "f", "src"),
                ("c" * 64, "http://h/g.csv", "g", "src"),
                ("b" * 64, "http://h/f.csv", "f", "src"),  # f.csv changed after g.csv was fetched
                ("d" * 64, "http://h/f.csv", "f", "other"),
            ],
            start=1,
        ):
            at = datetime(2026, 1, day, tzinfo=UTC)
            index.record_fetch(obj(sha, source), url=url, name=name, etag=None, last_modified=None, now=at)
        index.touch_unchanged("src", "http://h/g.csv", etag=None, last_modified=None)  # checked, not changed

        current = index.current_objects("src")

        assert [(c.indexed.sha256, c.url, c.name) for c in current] == [
            ("b" * 64, "http://h/f.csv", "f"),  # changed last: first; its older content (SHA) is not current
            ("c" * 64, "http://h/g.csv", "g"),
        ]
        assert index.current_objects("missing") == []
    finally:
        index.close()


def test_index_records_a_batch_in_one_call_and_states_name_the_object_file(index_url: str) -> None:
    index = ManifestIndex(index_url)
    try:
        index.record_fetches(
            [
                FetchRecord(obj(), url="http://h/f.csv", name="f", etag='"1"', last_modified=None),
                FetchRecord(obj("b" * 64), url="http://h/g.csv", name="g", etag=None, last_modified="Mon"),
                FetchRecord(obj("b" * 64), url="http://h/g.csv", name="g", etag='"2"', last_modified=None),
            ]
        )

        assert index.count_rows() == {"cas_objects": 2, "object_sources": 2, "url_states": 2}
        states = index.url_states("src", ["http://h/f.csv", "http://h/g.csv", "http://h/none.csv"])
        assert {url: (s.sha256[0], s.etag, s.filename) for url, s in states.items()} == {
            "http://h/f.csv": ("a", '"1"', "f.csv"),
            "http://h/g.csv": ("b", '"2"', "f.csv"),  # the same URL twice in a batch: the last fetch wins
        }
    finally:
        index.close()


def raw_sql(url: str, statement: str) -> object:
    """Run one statement on the index's database directly (not through ManifestIndex); return the first value."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement))
            return result.scalar_one() if result.returns_rows else None
    finally:
        engine.dispose()


def test_index_stores_a_base_under_its_root_relative_and_reads_it_back_resolved(index_url: str, tmp_path: Path) -> None:
    index = ManifestIndex(index_url, root=tmp_path)
    try:
        index.record_fetch(
            replace(obj(), storage_base=str(tmp_path / "cas")),
            url="http://h/f.csv",
            name="f",
            etag=None,
            last_modified=None,
        )
        raw = raw_sql(index_url, "SELECT storage_base FROM cas_objects")
        [read] = index.list_objects()
        moved = ManifestIndex(index_url, root=tmp_path / "moved")
        [read_elsewhere] = moved.list_objects()
        moved.close()

        assert raw == "cas"
        assert read.storage_base == str(tmp_path / "cas")
        assert read_elsewhere.storage_base == str(tmp_path / "moved" / "cas")
        assert index.storage_bases() == [str(tmp_path / "cas")]
    finally:
        index.close()


def test_index_reads_rows_written_with_absolute_bases_as_they_are(index_url: str, tmp_path: Path) -> None:
    index = ManifestIndex(index_url, root=tmp_path)
    try:
        index.record_fetch(obj(), url="http://h/f.csv", name="f", etag=None, last_modified=None)  # outside the root
        index.record_fetch(
            replace(obj("b" * 64), storage_base=str(tmp_path / "cas")),
            url="http://h/g",
            name="g",
            etag=None,
            last_modified=None,
        )
        raw_sql(  # a row as written before bases were stored relative
            index_url, f"UPDATE cas_objects SET storage_base = '{tmp_path / 'cas'}' WHERE sha256 = '{'b' * 64}'"
        )

        assert {o.sha256: o.storage_base for o in index.list_objects()} == {
            SHA: "/store",
            "b" * 64: str(tmp_path / "cas"),
        }
    finally:
        index.close()


def test_index_opened_on_a_schema_1_index_adds_the_per_url_file_name_and_keeps_its_rows(index_url: str) -> None:
    old = ManifestIndex(index_url)
    old.record_fetch(obj(), url="http://h/f.csv", name="f", etag=None, last_modified=None)
    old.close()
    engine = sa.create_engine(index_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # back to what version 1 made: no object_sources.filename
        conn.execute(sa.text("ALTER TABLE object_sources DROP COLUMN filename"))
        conn.execute(sa.text("DELETE FROM airnub_schema"))
        conn.execute(sa.text("INSERT INTO airnub_schema (version) VALUES (1)"))
    engine.dispose()

    index = ManifestIndex(index_url)
    try:
        index.record_fetch(obj(), url="http://h/copy.csv", name="copy", etag=None, last_modified=None, filename="g.csv")
        sources = [(s.url, s.filename) for s in index.sources_of("src", SHA)]
        current = sorted((c.url, c.filename) for c in index.current_objects("src"))
        ManifestIndex(index_url).close()  # a second opening finds nothing left to add
    finally:
        index.close()

    assert sources == [("http://h/f.csv", "f.csv"), ("http://h/copy.csv", "g.csv")]
    assert current == [("http://h/copy.csv", "g.csv"), ("http://h/f.csv", "f.csv")]
    engine = sa.create_engine(index_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("object_sources")}
        versions = sorted(conn.execute(sa.text("SELECT version FROM airnub_schema")).scalars())
    engine.dispose()
    assert "filename" in columns and versions == [1, 2]


def test_index_fills_the_file_name_of_a_schema_1_source_row_when_the_url_serves_the_same_bytes_again(
    index_url: str,
) -> None:
    index = ManifestIndex(index_url)
    try:
        index.record_fetch(obj(), url="http://h/export?id=7", name="f", etag=None, last_modified=None)
        engine = sa.create_engine(index_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:  # as a row written before schema 2 reads after the upgrade
            conn.execute(sa.text("UPDATE object_sources SET filename = NULL"))
        engine.dispose()

        index.record_fetch(
            obj(), url="http://h/export?id=7", name="f", etag=None, last_modified=None, filename="report.csv"
        )
        filled = [(s.url, s.filename) for s in index.sources_of("src", SHA)]
        index.record_fetch(
            obj(), url="http://h/export?id=7", name="f", etag=None, last_modified=None, filename="other.csv"
        )
        kept = [(s.url, s.filename) for s in index.sources_of("src", SHA)]
        rows = index.count_rows()
    finally:
        index.close()

    assert filled == [("http://h/export?id=7", "report.csv")]
    assert kept == filled  # a name once recorded stays: the first URL's name, as for rows written since schema 2
    assert rows == {"cas_objects": 1, "object_sources": 1, "url_states": 1}


def test_index_records_a_batch_fetching_one_url_twice_as_one_source_row(index_url: str) -> None:
    index = ManifestIndex(index_url)
    try:
        twice = [
            FetchRecord(obj(), "http://h/export?id=7", "f", None, None, filename=name)
            for name in ("report.csv", "again.csv")
        ]
        index.record_fetches(twice)
        sources = [(s.url, s.filename) for s in index.sources_of("src", SHA)]
    finally:
        index.close()

    assert sources == [("http://h/export?id=7", "report.csv")]
