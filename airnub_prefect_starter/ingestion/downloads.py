"""Download one URL into the content-addressed store: the five steps of the ingestion core.

1. Ask the index for the URL's validators and send a conditional GET; 304 -> ``unchanged``, nothing written.
   The validators are sent only while the URL's last object is on disk with its indexed size (one ``stat``):
   a missing or damaged object is fetched unconditionally and healed (the damaged copy is quarantined).
2. Stream the raw body into the store's temp area, hashing as it streams (max bytes, deadline, length).
3. Same hash as this URL's last object -> ``unchanged``; hash already stored -> ``duplicate``; else publish
   the object directory atomically (first writer wins).
4. The manifest is published inside that directory, beside the object, in the same rename.
5. Upsert the index rows (at once, or with the rest of a batch in one transaction: ``IngestContext.pending_fetches``)
   and return an :class:`IngestResult`.

Transient failures are retried here (``policy.retries``, backoff with jitter, Retry-After honoured); every
failure leaves no temp file, no partial object and no index row.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from airnub_prefect_starter import __version__
from airnub_prefect_starter.common.locations import parse_location
from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import IntegrityError, PermanentDownloadError, StorageError
from airnub_prefect_starter.core.http.auth import NO_CREDENTIALS, Credentials
from airnub_prefect_starter.core.http.fetch import Deadline, FetchedResponse
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.politeness import Politeness
from airnub_prefect_starter.core.http.retry import retry_transient
from airnub_prefect_starter.core.http.transport import HttpTransport, ResponseHead
from airnub_prefect_starter.core.store.index import (
    FetchRecord,
    IndexedObject,
    ManifestIndex,
    UnchangedMark,
    UrlState,
)
from airnub_prefect_starter.core.store.manifest import (
    ObjectKind,
    ObjectManifest,
    RunIds,
    allowlisted_headers,
)
from airnub_prefect_starter.core.store.store import PublishGroup, Store, StoredObject
from airnub_prefect_starter.ingestion.staging import fetch_into_store

__all__ = [
    "BodyValidator",
    "IngestContext",
    "IngestResult",
    "IngestStatus",
    "SourceItem",
    "download_hash_store_and_manifest",
]

logger = logging.getLogger(__name__)

#: Checks a downloaded body before it is published; raises to refuse it. Returns facts for the manifest.
BodyValidator = Callable[[Path, FetchedResponse], Mapping[str, str | int | float | bool | None]]


class SourceItem(Protocol):
    """What the core needs of a configured item (config models satisfy it)."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def link_title(self) -> str | None: ...
    @property
    def source_page_url(self) -> str | None: ...


class IngestStatus(StrEnum):
    STORED = "stored"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IngestContext:
    """Everything one category run shares across its downloads."""

    store: Store
    index: ManifestIndex
    policy: HttpPolicy
    client: HttpTransport
    data_source_name: str
    run_ids: RunIds = field(default_factory=RunIds)
    #: Validators prefetched for a batch (``{url: state}``); ``None`` asks the index per download.
    known_states: Mapping[str, UrlState] | None = None
    #: When given, 304s are collected here and written by the batch in one transaction.
    unchanged_marks: list[UnchangedMark] | None = None
    #: When given, downloads are collected here and recorded by the batch in one transaction.
    pending_fetches: list[FetchRecord] | None = None
    #: Held while a request and its body are in flight (the per-host limit); not while the body is stored.
    host_slot: Callable[[str], AbstractContextManager[object]] = contextlib.nullcontext
    #: robots.txt and per-host pacing, asked before every request; ``None`` fetches without either.
    politeness: Politeness | None = None
    #: When given, new objects are published through it and appear in the store when the batch commits it (on
    #: disk: one ``syncfs`` for all of them); ``stored`` then means "staged", and the batch corrects what commit
    #: says.
    publish_group: PublishGroup | None = None

    def mark_unchanged(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if self.unchanged_marks is None:
            self.index.touch_unchanged(self.data_source_name, url, etag, last_modified)
        else:
            self.unchanged_marks.append(UnchangedMark(url, etag, last_modified))

    def record_fetch(self, record: FetchRecord) -> None:
        if self.pending_fetches is None:
            self.index.record_fetches([record])
        else:
            self.pending_fetches.append(record)


@dataclass(frozen=True)
class IngestResult:
    """The outcome of one successful ingestion. ``url`` (as configured) and ``final_url`` are redacted."""

    name: str
    url: str
    status: IngestStatus
    data_source_name: str
    sha256: str
    size_bytes: int
    #: Where the object and its manifest are: a local path or an ``s3://`` URL.
    location: str
    manifest_location: str
    content_type: str | None
    #: The URL the body came from this time, after redirects (redacted, secrets scrubbed).
    final_url: str

    @property
    def path(self) -> Path:
        """The object's local path (a store on disk only)."""
        return _local(self.location)

    @property
    def manifest_path(self) -> Path:
        return _local(self.manifest_location)


def _local(location: str) -> Path:
    if not parse_location(location).is_local:
        raise StorageError(f"{location} is in object storage, not on a local disk")
    return Path(location)


def download_hash_store_and_manifest(
    item: SourceItem,
    ctx: IngestContext,
    *,
    kind: ObjectKind = "file",
    headers: Mapping[str, str] | None = None,
    credentials: Credentials = NO_CREDENTIALS,
    validate: BodyValidator | None = None,
) -> IngestResult:
    """Fetch ``item.url`` into the store (see the module docstring). ``credentials`` go to the URL's origin only
    and into no manifest, index row or message. Raises a ``DownloadError`` subclass, ``StorageError`` or
    ``ManifestIndexError`` on failure; never returns a failure."""
    # one budget for every attempt, started by the first request (not while the item waits for a host slot)
    request = _Request(kind, headers or {}, credentials, validate, Deadline(ctx.policy.total_deadline_s, started=False))
    return retry_transient(lambda: _attempt(item, ctx, request), ctx.policy, deadline=request.deadline)


@dataclass(frozen=True)
class _Request:
    """What every attempt at one item shares; the deadline is one budget for all of them, waits included."""

    kind: ObjectKind
    headers: Mapping[str, str]
    credentials: Credentials
    validate: BodyValidator | None
    deadline: Deadline


def _previous_object(item: SourceItem, ctx: IngestContext) -> tuple[StoredObject | None, dict[str, str]]:
    """This URL's last object if it is still on disk, and the conditional headers it allows."""
    if ctx.known_states is not None:
        state = ctx.known_states.get(item.url)
    else:
        state = ctx.index.url_state(ctx.data_source_name, item.url)
    if state is None:
        return None, {}
    try:
        previous = ctx.store.find(ctx.data_source_name, state.sha256, state.filename)
    except IntegrityError as exc:  # a damaged object folder: fetched again and healed when published
        logger.warning("Fetching again to heal the stored copy: %s", exc)
        return None, {}
    if previous is None:  # deleted from disk: ask unconditionally so it is fetched again
        return None, {}
    if state.size_bytes is not None and previous.size_bytes != state.size_bytes:  # one stat, no hashing
        logger.warning(
            "Fetching again to heal the stored copy: %s has %d bytes, the index says %d",
            previous.location,
            previous.size_bytes,
            state.size_bytes,
        )
        return None, {}
    conditional: dict[str, str] = {}
    if state.etag:
        conditional["If-None-Match"] = state.etag
    if state.last_modified:
        conditional["If-Modified-Since"] = state.last_modified
    return previous, conditional


def _attempt(item: SourceItem, ctx: IngestContext, request: _Request) -> IngestResult:
    shown = redact_url(item.url)
    kind, validate, deadline = request.kind, request.validate, request.deadline
    previous, conditional = _previous_object(item, ctx)
    request_headers = {"Accept-Encoding": "identity", **request.headers, **conditional}
    before_request = (
        None
        if ctx.politeness is None
        else functools.partial(ctx.politeness.before_request, ctx.client, deadline=deadline)
    )
    with fetch_into_store(
        ctx.store,
        ctx.client,
        item.url,
        ctx.policy,
        deadline,
        request_headers,
        fallback_name=item.name,
        before_request=before_request,
        credentials=request.credentials,
        host_slot=ctx.host_slot,
    ) as staged:
        fetched = staged.fetched
        response = fetched.response
        final_url = request.credentials.scrub(redact_url(fetched.final_url))  # redacting re-encodes the query
        etag, last_modified = response.headers.get("etag"), response.headers.get("last-modified")
        if response.status_code == 304:
            if previous is None:
                raise PermanentDownloadError(shown, "HTTP 304 to an unconditional request")
            ctx.mark_unchanged(item.url, etag, last_modified)
            logger.debug("Unchanged (304): %s", shown)
            return _result(item, previous, IngestStatus.UNCHANGED, response, final_url)
        body, temp_path, filename = staged.body, staged.temp_path, staged.filename
        if body is None or temp_path is None or filename is None:  # pragma: no cover - a 2xx body is always staged
            raise AssertionError(f"no body staged for {shown}")
        # The connection and the host's slot are free again: the next download runs while this one is stored.
        if previous is not None and previous.sha256 == body.sha256:  # validated when it was stored
            ctx.mark_unchanged(item.url, etag, last_modified)
            logger.debug("Unchanged (same sha256 %s): %s", body.sha256[:12], shown)
            return _result(item, previous, IngestStatus.UNCHANGED, response, final_url)
        details = dict(validate(temp_path, fetched)) if validate else {}
        manifest = ObjectManifest(
            kind=kind,
            data_source_name=ctx.data_source_name,
            name=item.name,
            filename=filename,
            sha256=body.sha256,
            size_bytes=body.size_bytes,
            content_type=response.headers.get("content-type"),
            source_url=shown,
            final_url=final_url,
            link_title=item.link_title,
            source_page_url=redact_url(item.source_page_url) if item.source_page_url else None,
            http_status=response.status_code,
            etag=etag,
            last_modified=last_modified,
            response_headers=allowlisted_headers(response.headers),
            retrieved_at=fetched.retrieved_at,
            completed_at=datetime.now(UTC),
            run_ids=ctx.run_ids,
            tool_version=__version__,
            details=details,
        )
        publish = ctx.store.publish if ctx.publish_group is None else ctx.publish_group.publish
        stored, created = publish(
            temp_path,
            data_source_name=ctx.data_source_name,
            sha256=body.sha256,
            size_bytes=body.size_bytes,
            filename=filename,
            manifest_json=manifest.to_json_bytes(),
            heal=True,
        )
    ctx.record_fetch(
        FetchRecord(
            IndexedObject(
                data_source_name=ctx.data_source_name,
                sha256=stored.sha256,
                storage_base=ctx.store.base,
                relative_path=stored.relative_path,
                filename=stored.filename,
                size_bytes=stored.size_bytes,
                content_type=manifest.content_type,
                kind=kind,
                first_source_url=shown,
                created_at=manifest.completed_at,
            ),
            url=item.url,
            name=item.name,
            etag=etag,
            last_modified=last_modified,
            link_title=item.link_title,
            source_page_url=item.source_page_url,
            filename=filename,
        )
    )
    status = IngestStatus.STORED if created else IngestStatus.DUPLICATE
    logger.debug(
        "%s %s (%d bytes, sha256 %s): %s",
        status.value.capitalize(),
        stored.filename,
        stored.size_bytes,
        stored.sha256[:12],
        shown,
    )
    return _result(item, stored, status, response, final_url)


def _result(
    item: SourceItem, stored: StoredObject, status: IngestStatus, response: ResponseHead, final_url: str
) -> IngestResult:
    return IngestResult(
        name=item.name,
        url=redact_url(item.url),
        final_url=final_url,
        status=status,
        data_source_name=stored.data_source_name,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        location=stored.location,
        manifest_location=stored.manifest_location,
        content_type=response.headers.get("content-type"),
    )
