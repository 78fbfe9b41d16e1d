"""Re-download corrupt or missing objects from the URLs that served them, and put the bad copy aside.

For each damaged object the URLs the index recorded for it (then the manifest's ``source_url`` and
``final_url``) are tried in turn through the project's policy-checked fetch. A body is accepted only if it
hashes to the object's sha256; then the damaged folder is moved into ``<base>/.quarantine/`` (never deleted)
and the good copy is published in its place with the old manifest when that one still describes it. A URL
whose secrets were redacted in the index cannot be fetched again and is reported as such.

Written once against the :class:`~airnub_prefect_starter.core.store.store.Store` interface: on object storage the
body is staged in a local file while hashed, the damaged folder's keys are copied under ``.quarantine/`` and then
deleted, and the good copy is uploaded (create-only) with its manifest. It lives with ingestion, not with the
store, because it fetches: the store imports nothing of the HTTP client.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from airnub_prefect_starter import __version__
from airnub_prefect_starter.common.utils import REDACTED, redact_url
from airnub_prefect_starter.core.errors import DownloadError, ResponseContentError, StorageError
from airnub_prefect_starter.core.http.fetch import Deadline, FetchedResponse, build_http_client
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.retry import retry_transient
from airnub_prefect_starter.core.http.transport import HttpTransport
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex
from airnub_prefect_starter.core.store.manifest import ObjectManifest, allowlisted_headers
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.core.store.store import MANIFEST_SUFFIX, Store
from airnub_prefect_starter.core.store.verify import StoreProblem, object_location
from airnub_prefect_starter.ingestion.staging import fetch_into_store

__all__ = ["RepairOutcome", "repair_objects", "repairable"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepairOutcome:
    """What happened to one damaged object: ``repaired`` from ``url`` (redacted), or not and why; where the
    damaged copy was moved (``quarantined``, ``None`` when there was nothing left to move)."""

    data_source_name: str
    sha256: str
    path: str
    repaired: bool
    url: str | None
    quarantined: str | None
    detail: str


def repairable(problems: Iterable[StoreProblem]) -> list[tuple[str, str]]:
    """``(data_source_name, sha256)`` of every object whose bytes are corrupt or gone, once each, in order."""
    chosen: dict[tuple[str, str], None] = {}
    for problem in problems:
        object_gone = problem.kind == "missing" and not problem.path.endswith(MANIFEST_SUFFIX)
        if problem.kind == "corrupt" or object_gone:
            chosen[(problem.data_source_name, problem.sha256)] = None
    return list(chosen)


def repair_objects(
    index: ManifestIndex,
    damaged: Iterable[tuple[str, str]],
    policy: HttpPolicy,
    credentials: S3Credentials | None = None,
) -> list[RepairOutcome]:
    """Repair each ``(data_source_name, sha256)`` the index knows (see the module docstring). Download and
    storage failures of one object are reported in its outcome; the others go on. ``credentials`` open stores on
    object storage (default: the AWS variables)."""
    outcomes: list[RepairOutcome] = []
    with build_http_client(policy) as client:
        for data_source_name, sha256 in damaged:
            obj = index.get_object(data_source_name, sha256)
            if obj is None:
                continue
            urls = [source.url for source in index.sources_of(data_source_name, sha256)]
            outcomes.append(_repair_one(obj, urls, policy, client, credentials))
    return outcomes


def _old_manifest(store: Store, obj: IndexedObject) -> bytes | None:
    """The object's manifest bytes if they parse and describe ``obj``, else ``None``."""
    try:
        data = store.read_manifest(obj.relative_path)
    except StorageError:  # unreadable: as good as missing, the repair writes a new one
        return None
    if data is None:
        return None
    try:
        manifest = ObjectManifest.model_validate_json(data)
    except ValidationError:
        return None
    facts = (manifest.sha256, manifest.size_bytes, manifest.filename, manifest.data_source_name)
    return data if facts == (obj.sha256, obj.size_bytes, obj.filename, obj.data_source_name) else None


def _repair_one(
    obj: IndexedObject, urls: list[str], policy: HttpPolicy, client: HttpTransport, credentials: S3Credentials | None
) -> RepairOutcome:
    try:
        store = open_store(obj.storage_base, credentials)
    except StorageError as exc:
        return RepairOutcome(obj.data_source_name, obj.sha256, object_location(obj), False, None, None, str(exc))
    location = store.location(obj.relative_path)
    old_manifest = _old_manifest(store, obj)
    if old_manifest is not None:
        recorded = ObjectManifest.model_validate_json(old_manifest)
        urls = [*urls, recorded.source_url, recorded.final_url]
    reasons: list[str] = []
    for url in dict.fromkeys(urls):
        if REDACTED in url:
            reasons.append(f"{url}: its secrets were redacted in the index, it cannot be fetched again")
            continue
        deadline = Deadline(policy.total_deadline_s)  # one budget per URL, its retries and their waits included
        try:
            quarantined = retry_transient(
                functools.partial(_fetch_and_replace, obj, url, store, old_manifest, policy, client, deadline),
                policy,
                deadline=deadline,
            )
        except (DownloadError, StorageError) as exc:
            reasons.append(str(exc))
            continue
        logger.info("Repaired %s from %s (damaged copy moved to %s)", location, url, quarantined)
        return RepairOutcome(obj.data_source_name, obj.sha256, location, True, url, quarantined, "re-downloaded")
    detail = "; ".join(reasons) or "no source URL recorded"
    return RepairOutcome(obj.data_source_name, obj.sha256, location, False, None, None, detail)


def _fetch_and_replace(
    obj: IndexedObject,
    url: str,
    store: Store,
    old_manifest: bytes | None,
    policy: HttpPolicy,
    client: HttpTransport,
    deadline: Deadline,
) -> str | None:
    """Download ``url``; if it hashes to the object's sha256, quarantine the damaged folder and publish the good
    copy. Returns where the damaged folder went (``None``: it was gone). Raises a :class:`DownloadError` when
    the URL fails or now serves other content."""
    headers = {"Accept-Encoding": "identity"}
    with fetch_into_store(store, client, url, policy, deadline, headers, fallback_name=obj.filename) as staged:
        fetched, body, temp_path = staged.fetched, staged.body, staged.temp_path
        if body is None or temp_path is None:
            raise ResponseContentError(url, f"answered HTTP {fetched.response.status_code} without a body")
        if body.sha256 != obj.sha256:
            raise ResponseContentError(
                url, f"now serves other content (sha256 {body.sha256[:12]}, not {obj.sha256[:12]})"
            )
        manifest_json = old_manifest or _new_manifest(obj, url, fetched)
        quarantined = store.quarantine(obj.data_source_name, obj.sha256)
        store.publish(
            temp_path,
            data_source_name=obj.data_source_name,
            sha256=obj.sha256,
            size_bytes=body.size_bytes,
            filename=obj.filename,
            manifest_json=manifest_json,
            heal=True,
        )
    return quarantined


def _new_manifest(obj: IndexedObject, url: str, fetched: FetchedResponse) -> bytes:
    """A manifest for the re-downloaded copy, when the old one is gone or no longer describes the object."""
    response = fetched.response
    return ObjectManifest.model_validate(
        {
            "kind": obj.kind,
            "data_source_name": obj.data_source_name,
            "name": obj.filename,
            "filename": obj.filename,
            "sha256": obj.sha256,
            "size_bytes": obj.size_bytes,
            "content_type": response.headers.get("content-type"),
            "source_url": url,
            "final_url": redact_url(fetched.final_url),
            "http_status": response.status_code,
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "response_headers": allowlisted_headers(response.headers),
            "retrieved_at": fetched.retrieved_at,
            "completed_at": datetime.now(UTC),
            "tool_version": __version__,
            "details": {"repaired": True},
        }
    ).to_json_bytes()
