"""The manifest index: which objects exist, where, from which URLs, and each URL's HTTP validators.

SQLAlchemy 2 Core over SQLite (default; WAL, busy timeout, ``BEGIN IMMEDIATE`` so concurrent writers queue
instead of failing on lock upgrades) or PostgreSQL (by URL). Three tables:

* ``cas_objects``     one row per (data source, sha256): where the object lives (``storage_base`` relative to the
                      index's root when the store lies under it, so a data dir copied or moved with its index
                      describes itself; rows written with an absolute base are read as they are)
* ``object_sources``  one row per (data source, sha256, URL): every URL that served that content, with the file
                      name that URL gave it (identical bytes from several URLs are one object, named after the
                      first; a dataset selecting its input by file name finds it under each URL's own name)
* ``url_states``      one row per (data source, URL): latest sha256, ETag and Last-Modified, for conditional GET

All writes are ``INSERT ... ON CONFLICT``, so processes racing on the same content leave one row. An index made by an
earlier version is brought up to date when opened (columns added, see :data:`SCHEMA_VERSION`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from airnub_prefect_starter.common.locations import join_location, storage_location_in
from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import ManifestIndexError

__all__ = [
    "CurrentObject",
    "FetchRecord",
    "IndexedObject",
    "ManifestIndex",
    "ObjectSource",
    "UrlState",
    "default_root",
    "open_index",
    "url_key",
]

#: 2: ``object_sources.filename`` (the URL's own file name; rows written before it hold NULL, read as the object's).
SCHEMA_VERSION = 2
_metadata = sa.MetaData()

cas_objects = sa.Table(
    "cas_objects",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("data_source_name", sa.String(128), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("storage_base", sa.Text, nullable=False),
    sa.Column("relative_path", sa.Text, nullable=False),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("content_type", sa.Text),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("first_source_url", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("data_source_name", "sha256", name="uq_cas_objects_source_sha256"),
)

object_sources = sa.Table(
    "object_sources",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("data_source_name", sa.String(128), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("url_key", sa.String(64), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("filename", sa.Text),
    sa.Column("link_title", sa.Text),
    sa.Column("source_page_url", sa.Text),
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("data_source_name", "sha256", "url_key", name="uq_object_sources"),
)

url_states = sa.Table(
    "url_states",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("data_source_name", sa.String(128), nullable=False),
    sa.Column("url_key", sa.String(64), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("data_source_name", "url_key", name="uq_url_states"),
)

#: Joins a URL's state to the object it serves now.
_URL_CURRENT_OBJECT = sa.and_(
    cas_objects.c.data_source_name == url_states.c.data_source_name,
    cas_objects.c.sha256 == url_states.c.sha256,
)

schema_info = sa.Table("airnub_schema", _metadata, sa.Column("version", sa.Integer, primary_key=True))

#: A URL's state with the file name and size of the object it points at (outer join: the row may be missing).
_STATES_WITH_FILENAME = sa.select(url_states, cas_objects.c.filename, cas_objects.c.size_bytes).outerjoin(
    cas_objects, _URL_CURRENT_OBJECT
)


def url_key(url: str) -> str:
    """Stable key of a full URL (secrets included, so URLs differing only in a token stay distinct)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IndexedObject:
    data_source_name: str
    sha256: str
    storage_base: str
    relative_path: str
    filename: str
    size_bytes: int
    content_type: str | None
    kind: str
    first_source_url: str
    created_at: datetime


@dataclass(frozen=True)
class ObjectSource:
    """A URL that served an object: ``filename`` is the name that URL gave it (Content-Disposition or the URL's
    last path segment), which may differ from the stored object's (named after the first URL)."""

    url: str
    name: str
    link_title: str | None
    source_page_url: str | None
    first_seen_at: datetime
    filename: str


@dataclass(frozen=True)
class UnchangedMark:
    """A URL that answered 304 (or the same bytes), with the validators it sent."""

    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class FetchRecord:
    """One download to record: ``url`` served ``obj`` with these validators (``now`` defaults to write time).
    ``filename``: the name this URL gave the content (default: the stored object's)."""

    obj: IndexedObject
    url: str
    name: str
    etag: str | None
    last_modified: str | None
    link_title: str | None = None
    source_page_url: str | None = None
    now: datetime | None = None
    filename: str | None = None


@dataclass(frozen=True)
class UrlState:
    """What the index knows of a URL: the sha256 it last served (``filename`` and ``size_bytes``: that object's
    file name and size, for a one-``stat`` look-up and size check in the store), its validators and when it was
    checked and last changed."""

    sha256: str
    etag: str | None
    last_modified: str | None
    checked_at: datetime
    changed_at: datetime
    filename: str | None = None
    size_bytes: int | None = None


@dataclass(frozen=True)
class CurrentObject:
    """The object a URL serves now: its latest content, the (redacted) URL, the item name it was fetched as and
    the file name that URL gave it (``filename``; the stored object may be named after another URL)."""

    indexed: IndexedObject
    url: str
    name: str | None
    changed_at: datetime
    filename: str


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here (the ``postgres`` extra), not psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _create_engine(url: str) -> Engine:
    url = _normalise_url(url)
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise ManifestIndexError(f"cannot open manifest index {redact_url(url)}: {_reason(exc)}") from exc
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" listener issue BEGIN IMMEDIATE
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode = WAL``, retried: on a new file several processes race to switch it, and SQLite
    answers "database is locked" at once there (busy_timeout does not cover it; seen with four processes)."""
    for attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.02 + random.random() * 0.05)


def _reason(exc: Exception) -> str:
    """The first line of the driver's own message (SQLAlchemy adds the statement and a link on more lines)."""
    origin = getattr(exc, "orig", None) or exc
    lines = str(origin).strip().splitlines()
    return f"{type(origin).__name__}: {lines[0] if lines else ''}"


def default_root(url: str) -> Path | None:
    """The folder a SQLite index file lies in (the data dir, by default); ``None`` for other databases."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        return Path(url.removeprefix("sqlite:///")).expanduser().resolve().parent
    return None


class ManifestIndex:
    """The index behind one SQLAlchemy URL. Creates its schema on first use; safe across processes.

    ``root`` is the folder storage bases are recorded against: a base under it is stored relative to it and
    resolved against it when read, so a data dir copied or moved with its index describes the copy. By default
    a SQLite file's folder; a PostgreSQL index has none unless given (then bases are stored absolute), and is
    given the data dir by readers and writers that want the same portability. Absolute bases are always read
    as they are (rows written before paths were relative, or stores outside the root)."""

    def __init__(self, url: str, root: Path | str | None = None) -> None:
        self.url = url
        self.root: Path | str | None
        if isinstance(root, str):  # a data dir on object storage: its URL
            self.root = root.rstrip("/")
        else:
            self.root = root.expanduser().resolve() if root is not None else default_root(url)
        if default_root(url) is not None:
            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self._engine = _create_engine(url)
        self._insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        with self._transaction() as conn:
            if self._engine.dialect.name == "postgresql":  # serialise concurrent CREATE TABLE across processes
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7210331)"))
            _metadata.create_all(conn, checkfirst=True)
            _add_missing_columns(conn)
            conn.execute(self._insert(schema_info).values(version=SCHEMA_VERSION).on_conflict_do_nothing())

    def __repr__(self) -> str:
        return f"ManifestIndex({redact_url(self.url)!r})"

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise ManifestIndexError(f"manifest index {redact_url(self.url)}: {_reason(exc)}") from exc

    # -- reads -------------------------------------------------------------------------------------------
    def url_state(self, data_source_name: str, url: str) -> UrlState | None:
        query = _STATES_WITH_FILENAME.where(
            url_states.c.data_source_name == data_source_name, url_states.c.url_key == url_key(url)
        )
        with self._transaction() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _state_from_row(row)

    def url_states(self, data_source_name: str, urls: Sequence[str]) -> dict[str, UrlState]:
        """:meth:`url_state` for many URLs in a few queries: ``{url: state}`` for the URLs that have one."""
        by_key = {url_key(url): url for url in urls}
        found: dict[str, UrlState] = {}
        keys = list(by_key)
        with self._transaction() as conn:
            for start in range(0, len(keys), 500):
                query = _STATES_WITH_FILENAME.where(
                    url_states.c.data_source_name == data_source_name,
                    url_states.c.url_key.in_(keys[start : start + 500]),
                )
                for row in conn.execute(query).mappings():
                    found[by_key[row["url_key"]]] = _state_from_row(row)
        return found

    def url_objects(self, url: str) -> list[IndexedObject]:
        """The object ``url`` serves now in every data source that fetched it, the most recently changed first."""
        query = (
            sa.select(cas_objects)
            .select_from(url_states)
            .join(cas_objects, _URL_CURRENT_OBJECT)
            .where(url_states.c.url_key == url_key(url))
            .order_by(url_states.c.changed_at.desc(), url_states.c.id.desc())
        )
        with self._transaction() as conn:
            return [self._object_from_row(row) for row in conn.execute(query).mappings()]

    def get_object(self, data_source_name: str, sha256: str) -> IndexedObject | None:
        query = sa.select(cas_objects).where(
            cas_objects.c.data_source_name == data_source_name, cas_objects.c.sha256 == sha256
        )
        with self._transaction() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else self._object_from_row(row)

    def list_objects(self, data_source_name: str | None = None, limit: int | None = None) -> list[IndexedObject]:
        query = sa.select(cas_objects).order_by(cas_objects.c.created_at, cas_objects.c.id)
        if data_source_name:
            query = query.where(cas_objects.c.data_source_name == data_source_name)
        if limit:
            query = query.limit(limit)
        with self._transaction() as conn:
            return [self._object_from_row(row) for row in conn.execute(query).mappings()]

    def find_objects(self, sha256_prefix: str) -> list[IndexedObject]:
        query = sa.select(cas_objects).where(cas_objects.c.sha256.startswith(sha256_prefix.lower()))
        with self._transaction() as conn:
            return [self._object_from_row(row) for row in conn.execute(query).mappings()]

    def sources_of(self, data_source_name: str, sha256: str) -> list[ObjectSource]:
        """Every URL that served ``sha256`` in the data source, first seen first."""
        return self.sources_in(data_source_name, sha256).get(sha256, [])

    def sources_in(self, data_source_name: str, sha256: str | None = None) -> dict[str, list[ObjectSource]]:
        """``{sha256: its sources, first seen first}`` for every object of the data source (or only ``sha256``),
        in one query."""
        query = (
            sa.select(object_sources, cas_objects.c.filename.label("object_filename"))
            .outerjoin(
                cas_objects,
                sa.and_(
                    cas_objects.c.data_source_name == object_sources.c.data_source_name,
                    cas_objects.c.sha256 == object_sources.c.sha256,
                ),
            )
            .where(object_sources.c.data_source_name == data_source_name)
            .order_by(object_sources.c.first_seen_at, object_sources.c.id)
        )
        if sha256 is not None:
            query = query.where(object_sources.c.sha256 == sha256)
        found: dict[str, list[ObjectSource]] = {}
        with self._transaction() as conn:
            for row in conn.execute(query).mappings():
                found.setdefault(row["sha256"], []).append(
                    ObjectSource(
                        url=row["url"],
                        name=row["name"],
                        link_title=row["link_title"],
                        source_page_url=row["source_page_url"],
                        first_seen_at=_aware(row["first_seen_at"]),
                        filename=row["filename"] or row["object_filename"],
                    )
                )
        return found

    def current_objects(self, data_source_name: str) -> list[CurrentObject]:
        """Every URL's current object in a data source (older contents of a URL are left out), the most recently
        changed first. An object served by two URLs appears once per URL."""
        named = object_sources.alias("named")
        query = (
            sa.select(
                cas_objects,
                url_states.c.url.label("current_url"),
                url_states.c.changed_at.label("current_changed_at"),
                named.c.name.label("current_name"),
                named.c.filename.label("current_filename"),
            )
            .select_from(url_states)
            .join(cas_objects, _URL_CURRENT_OBJECT)
            .outerjoin(
                named,
                sa.and_(
                    named.c.data_source_name == url_states.c.data_source_name,
                    named.c.sha256 == url_states.c.sha256,
                    named.c.url_key == url_states.c.url_key,
                ),
            )
            .where(url_states.c.data_source_name == data_source_name)
            .order_by(url_states.c.changed_at.desc(), url_states.c.id.desc())
        )
        with self._transaction() as conn:
            return [
                CurrentObject(
                    indexed=self._object_from_row(row),
                    url=row["current_url"],
                    name=row["current_name"],
                    changed_at=_aware(row["current_changed_at"]),
                    filename=row["current_filename"] or row["filename"],
                )
                for row in conn.execute(query).mappings()
            ]

    def storage_bases(self) -> list[str]:
        """Every store the index has objects in (resolved), sorted."""
        query = sa.select(cas_objects.c.storage_base).distinct()
        with self._transaction() as conn:
            return sorted({self._resolve_base(base) for base in conn.execute(query).scalars()})

    def count_rows(self) -> dict[str, int]:
        with self._transaction() as conn:
            return {
                table.name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
                for table in (cas_objects, object_sources, url_states)
            }

    # -- paths -------------------------------------------------------------------------------------------
    def _stored_base(self, storage_base: str) -> str:
        """``storage_base`` as written to the index: relative to the root (POSIX form) when under it."""
        if self.root is None:
            return storage_base
        root = os.fspath(self.root)
        if storage_base.rstrip("/") == root:
            return "."
        return storage_base.removeprefix(root + "/")

    def _resolve_base(self, stored: str) -> str:
        """A stored base as a location: a bucket URL or absolute path as it is, relative against the root."""
        if self.root is None or storage_location_in(stored) is not None or Path(stored).is_absolute():
            return stored
        root = os.fspath(self.root)
        return root if stored == "." else join_location(root, stored)

    def _object_values(self, obj: IndexedObject) -> dict[str, Any]:
        return {
            "data_source_name": obj.data_source_name,
            "sha256": obj.sha256,
            "storage_base": self._stored_base(obj.storage_base),
            "relative_path": obj.relative_path,
            "filename": obj.filename,
            "size_bytes": obj.size_bytes,
            "content_type": obj.content_type,
            "kind": obj.kind,
            "first_source_url": obj.first_source_url,
            "created_at": obj.created_at,
        }

    def _object_from_row(self, row: sa.RowMapping) -> IndexedObject:
        return IndexedObject(
            data_source_name=row["data_source_name"],
            sha256=row["sha256"],
            storage_base=self._resolve_base(row["storage_base"]),
            relative_path=row["relative_path"],
            filename=row["filename"],
            size_bytes=int(row["size_bytes"]),
            content_type=row["content_type"],
            kind=row["kind"],
            first_source_url=row["first_source_url"],
            created_at=_aware(row["created_at"]),
        )

    # -- writes ------------------------------------------------------------------------------------------
    def record_fetch(
        self,
        obj: IndexedObject,
        *,
        url: str,
        name: str,
        etag: str | None,
        last_modified: str | None,
        link_title: str | None = None,
        source_page_url: str | None = None,
        now: datetime | None = None,
        filename: str | None = None,
    ) -> bool:
        """Record that ``url`` served ``obj`` (one transaction), under ``filename`` (the name this URL gave it;
        default the object's). Returns True if the object row is new."""
        with self._transaction() as conn:
            created = conn.execute(
                self._insert(cas_objects)
                .values(**self._object_values(obj))
                .on_conflict_do_nothing(index_elements=["data_source_name", "sha256"])
                .returning(cas_objects.c.id)
            ).first()
            self._write_sources_and_states(
                conn, [FetchRecord(obj, url, name, etag, last_modified, link_title, source_page_url, now, filename)]
            )
        return created is not None

    def record_fetches(self, records: Sequence[FetchRecord]) -> None:
        """:meth:`record_fetch` for many fetches in one transaction (a batch's downloads)."""
        if records:
            with self._transaction() as conn:
                conn.execute(
                    self._insert(cas_objects).on_conflict_do_nothing(index_elements=["data_source_name", "sha256"]),
                    [self._object_values(record.obj) for record in records],
                )
                self._write_sources_and_states(conn, records)

    def _write_sources_and_states(self, conn: Connection, records: Sequence[FetchRecord]) -> None:
        """The ``object_sources`` and ``url_states`` rows of ``records`` (their objects are written already)."""
        default_now = datetime.now(UTC)
        sources, states = [], {}
        for record in records:
            now = record.now or default_now
            key = url_key(record.url)
            shown = redact_url(record.url)
            sources.append(
                {
                    "data_source_name": record.obj.data_source_name,
                    "sha256": record.obj.sha256,
                    "url_key": key,
                    "url": shown,
                    "name": record.name,
                    "filename": record.filename or record.obj.filename,
                    "link_title": record.link_title,
                    "source_page_url": redact_url(record.source_page_url) if record.source_page_url else None,
                    "first_seen_at": now,
                }
            )
            # keyed so a URL fetched twice in one batch is one upsert (PostgreSQL refuses to touch a row twice)
            states[(record.obj.data_source_name, key)] = {
                "data_source_name": record.obj.data_source_name,
                "url_key": key,
                "url": shown,
                "sha256": record.obj.sha256,
                "etag": record.etag,
                "last_modified": record.last_modified,
                "checked_at": now,
                "changed_at": now,
            }
        # A row is kept as first recorded; only a file name it lacks (written before schema 2) is filled in.
        sources_statement = self._insert(object_sources)
        conn.execute(
            sources_statement.on_conflict_do_update(
                index_elements=["data_source_name", "sha256", "url_key"],
                set_={"filename": sa.func.coalesce(object_sources.c.filename, sources_statement.excluded.filename)},
            ),
            sources,
        )
        statement = self._insert(url_states)
        changed = url_states.c.sha256 != statement.excluded.sha256
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["data_source_name", "url_key"],
                set_={
                    "sha256": statement.excluded.sha256,
                    "etag": statement.excluded.etag,
                    "last_modified": statement.excluded.last_modified,
                    "checked_at": statement.excluded.checked_at,
                    "changed_at": sa.case((changed, statement.excluded.changed_at), else_=url_states.c.changed_at),
                },
            ),
            list(states.values()),
        )

    def touch_unchanged(
        self,
        data_source_name: str,
        url: str,
        etag: str | None,
        last_modified: str | None,
        now: datetime | None = None,
    ) -> None:
        """Record a 304 (or identical body): keep the sha256, refresh validators and ``checked_at``."""
        self.touch_unchanged_many(data_source_name, [UnchangedMark(url, etag, last_modified)], now)

    def touch_unchanged_many(
        self, data_source_name: str, marks: Sequence[UnchangedMark], now: datetime | None = None
    ) -> None:
        """:meth:`touch_unchanged` for many URLs in one transaction (validators only replaced when sent)."""
        if not marks:
            return
        now = now or datetime.now(UTC)
        statement = (
            sa.update(url_states)
            .where(url_states.c.data_source_name == data_source_name, url_states.c.url_key == sa.bindparam("key"))
            .values(
                checked_at=now,
                etag=sa.func.coalesce(sa.bindparam("new_etag"), url_states.c.etag),
                last_modified=sa.func.coalesce(sa.bindparam("new_last_modified"), url_states.c.last_modified),
            )
        )
        rows = [{"key": url_key(m.url), "new_etag": m.etag, "new_last_modified": m.last_modified} for m in marks]
        with self._transaction() as conn:
            conn.execute(statement, rows)


def _add_missing_columns(conn: Connection) -> None:
    """Bring a table made by an earlier version up to date: add each nullable column it lacks (schema 2:
    ``object_sources.filename``). Runs in the opening transaction (serialised: SQLite's ``BEGIN IMMEDIATE``,
    PostgreSQL's advisory lock), so two processes opening an old index add a column once."""
    inspector = sa.inspect(conn)
    for table in (object_sources,):
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))


def _state_from_row(row: sa.RowMapping) -> UrlState:
    return UrlState(
        sha256=row["sha256"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        checked_at=_aware(row["checked_at"]),
        changed_at=_aware(row["changed_at"]),
        filename=row["filename"],
        size_bytes=None if row["size_bytes"] is None else int(row["size_bytes"]),
    )


@functools.lru_cache(maxsize=8)
def open_index(index_url: str, data_dir: Path | str | None = None) -> ManifestIndex:
    """The index at ``index_url``, its storage bases recorded against the data dir's URL when it is on object
    storage, else the SQLite file's folder or, for another database, ``data_dir``: every writer and reader of one
    index passes the same data dir."""
    if isinstance(data_dir, str):
        return ManifestIndex(index_url, data_dir)
    return ManifestIndex(index_url, default_root(index_url) or data_dir)
