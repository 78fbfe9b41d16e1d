"""One S3-compatible bucket prefix (AWS S3, MinIO, SeaweedFS, Ceph, R2, GCS's S3 interface), through ``obstore``.

A storage base or the data dir written as ``s3://bucket/prefix`` lives here. The endpoint and credentials come from
the standard AWS variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, ``AWS_REGION``; ``obstore`` reads them) or from explicit :class:`S3Credentials` (a Prefect
block resolved at the flow's edge); never from a config file. A plain-HTTP endpoint (a loopback test server) is
allowed when the endpoint URL says ``http://``.

Why ``obstore`` (measured on SeaweedFS over loopback, 64 MiB): it does conditional creates (``If-None-Match: *``,
412 -> :class:`AlreadyExistsError`) on single PUTs, multipart uploads from a file with parallel parts, streamed
GETs in bounded chunks, and retries with backoff, in Rust, with no event loop to host; ``s3fs`` needs aiobotocore
and an asyncio loop per thread and has no create-only PUT. Every failure is raised as :class:`StorageError` in one
line naming the URL and the HTTP status, never the credentials.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import obstore
from obstore.exceptions import AlreadyExistsError
from obstore.store import S3Store

from airnub_prefect_starter.common.locations import join_location
from airnub_prefect_starter.common.storage_block_types import STORAGE_BLOCK_HINT
from airnub_prefect_starter.core.errors import IntegrityError, StorageError
from airnub_prefect_starter.core.store.os_errors import storage_error

__all__ = ["Bucket", "ObjectInfo", "S3Credentials"]

#: Bodies up to this size go up in one conditional PUT (create-only); larger ones as a multipart upload of
#: :data:`PART_SIZE` parts, :data:`UPLOAD_CONCURRENCY` at a time (about 32 MiB in flight whatever the size).
SINGLE_PUT_MAX: Final = 16 * 1024 * 1024
PART_SIZE: Final = 8 * 1024 * 1024
UPLOAD_CONCURRENCY: Final = 4
READ_CHUNK: Final = 1024 * 1024
_STATUS = re.compile(r"status code: (\d{3})")
_RETRY = {"max_retries": 3, "retry_timeout": timedelta(seconds=60)}


@dataclass(frozen=True)
class S3Credentials:
    """Explicit credentials (from a Prefect block); unset fields fall back to the AWS variables."""

    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    endpoint_url: str | None = None
    region: str | None = None

    def __repr__(self) -> str:  # never print a secret
        return f"S3Credentials(endpoint_url={self.endpoint_url!r}, region={self.region!r})"

    def config(self) -> dict[str, str]:
        pairs = {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
            "aws_endpoint": self.endpoint_url,
            "aws_region": self.region,
        }
        return {key: value for key, value in pairs.items() if value}


@dataclass(frozen=True)
class ObjectInfo:
    """One object: its key relative to the bucket prefix, size and last change."""

    key: str
    size_bytes: int
    last_modified: datetime


class Bucket:
    """The objects under ``s3://bucket/prefix``; keys are relative to the prefix."""

    def __init__(self, url: str, credentials: S3Credentials | None = None) -> None:
        if not url.startswith("s3://"):
            raise StorageError(f"{url}: not an S3 URL (s3://bucket/prefix)")
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise StorageError(f"{url}: no bucket name (s3://bucket/prefix)")
        self.url = f"s3://{bucket}/{prefix.strip('/')}".rstrip("/")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        config: dict[str, Any] = (credentials or S3Credentials()).config()
        endpoint = (
            config.get("aws_endpoint") or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        )
        self.endpoint = endpoint or "AWS S3"
        client_options: dict[str, Any] = {"allow_http": True} if (endpoint or "").startswith("http://") else {}
        if endpoint and "aws_endpoint" not in config:
            config["aws_endpoint"] = endpoint
        if endpoint and not (config.get("aws_access_key_id") or os.environ.get("AWS_ACCESS_KEY_ID")):
            # without keys the AWS client asks the EC2 instance metadata service, which only AWS itself answers
            raise StorageError(
                f"{self.url}: no credentials for {endpoint}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                + STORAGE_BLOCK_HINT
            )
        try:
            self._store = S3Store(
                bucket,
                prefix=self.prefix or None,
                config=config,  # type: ignore[arg-type]
                client_options=client_options,  # type: ignore[arg-type]
                retry_config=_RETRY,  # type: ignore[arg-type]
            )
        except Exception as exc:  # noqa: BLE001 - obstore raises its own tree; one line for the user
            raise StorageError(f"{self.url}: {_reason(exc)}") from exc

    def __repr__(self) -> str:
        return f"Bucket({self.url!r})"

    def location(self, key: str) -> str:
        return join_location(self.url, key)

    def _error(self, key: str, exc: Exception) -> StorageError:
        return StorageError(f"{self.location(key)}: {_reason(exc)} (endpoint {self.endpoint})")

    def check(self) -> None:
        """Fail at once, in one line, when the bucket is missing, the credentials are refused or the endpoint
        does not answer: one LIST of at most one key."""
        try:
            next(iter(obstore.list(self._store, chunk_size=1)), None)
        except Exception as exc:  # noqa: BLE001
            raise self._error("", exc) from exc

    def head(self, key: str) -> ObjectInfo | None:
        try:
            meta = obstore.head(self._store, key)
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001
            raise self._error(key, exc) from exc
        return ObjectInfo(key, int(meta["size"]), meta["last_modified"])

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (a folder: give it with its trailing ``/``), any depth."""
        try:
            for page in obstore.list(self._store, prefix.rstrip("/") or None):
                for meta in page:
                    key = str(meta["path"])
                    if prefix and not key.startswith(prefix):
                        continue
                    yield ObjectInfo(key, int(meta["size"]), meta["last_modified"])
        except Exception as exc:  # noqa: BLE001
            raise self._error(prefix, exc) from exc

    def read_bytes(self, key: str) -> bytes:
        try:
            return bytes(obstore.get(self._store, key).bytes())
        except FileNotFoundError as exc:
            raise StorageError(f"{self.location(key)}: no such object") from exc
        except Exception as exc:  # noqa: BLE001
            raise self._error(key, exc) from exc

    def iter_chunks(self, key: str) -> Generator[bytes]:
        """The object's bytes in chunks of about a MiB (bounded memory whatever its size)."""
        try:
            for chunk in obstore.get(self._store, key).stream(min_chunk_size=READ_CHUNK):
                yield bytes(chunk)
        except FileNotFoundError as exc:
            raise StorageError(f"{self.location(key)}: no such object") from exc
        except Exception as exc:  # noqa: BLE001
            raise self._error(key, exc) from exc

    def download(self, key: str, target: Path, *, expect_sha256: str | None = None) -> str:
        """Stream the object into ``target`` (written beside it, then renamed: never half a file), hashing it on
        the way; its SHA-256. With ``expect_sha256`` a body that hashes otherwise raises :class:`IntegrityError`
        and ``target`` is left as it was."""
        partial = target.with_name(f".{target.name}.part")
        digest = hashlib.sha256()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("wb") as handle:
                for chunk in self.iter_chunks(key):
                    digest.update(chunk)
                    handle.write(chunk)
            if expect_sha256 is not None and digest.hexdigest() != expect_sha256:
                raise IntegrityError(
                    f"{self.location(key)}: sha256 {digest.hexdigest()} differs from the expected {expect_sha256}"
                )
            partial.replace(target)
        except OSError as exc:
            raise storage_error(f"{self.location(key)}: cannot write", exc.filename or target, exc) from exc
        finally:
            partial.unlink(missing_ok=True)
        return digest.hexdigest()

    def metadata(self, key: str) -> dict[str, str] | None:
        """The object's user metadata (``x-amz-meta-*``, written with ``metadata=`` by the puts), from one HEAD;
        ``None`` when there is no such object."""
        try:
            found = obstore.get(self._store, key, options={"head": True})
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001
            raise self._error(key, exc) from exc
        return {str(name): str(value) for name, value in found.attributes.items()}

    def put_bytes(
        self, key: str, data: bytes, *, create_only: bool = False, metadata: Mapping[str, str] | None = None
    ) -> bool:
        """Write ``data`` at ``key`` in one PUT; with ``create_only`` (``If-None-Match: *``) an existing object
        is left as it is and ``False`` returned. ``metadata`` is stored with the object (see :meth:`metadata`)."""
        try:
            obstore.put(
                self._store,
                key,
                data,
                mode="create" if create_only else "overwrite",
                attributes=dict(metadata) if metadata else None,
            )
        except AlreadyExistsError:
            return False
        except Exception as exc:  # noqa: BLE001
            raise self._error(key, exc) from exc
        return True

    def put_file(
        self, key: str, source: Path, *, create_only: bool = False, metadata: Mapping[str, str] | None = None
    ) -> bool:
        """Upload the file ``source`` to ``key``: one (conditional) PUT up to :data:`SINGLE_PUT_MAX`, else a
        multipart upload with bounded memory. S3 has no create-only multipart completion that every service
        honours, so a large ``create_only`` upload first asks whether the key exists; two writers racing past that
        question both upload the same bytes (the key is content-addressed) and the last completion stays: still one
        object, whole (a completed multipart upload appears atomically)."""
        try:
            size = source.stat().st_size
            small = source.read_bytes() if size <= SINGLE_PUT_MAX else None
        except OSError as exc:
            raise storage_error(f"{self.location(key)}: cannot read", source, exc) from exc
        if small is not None:
            return self.put_bytes(key, small, create_only=create_only, metadata=metadata)
        if create_only and self.head(key) is not None:
            return False
        try:
            handle = source.open("rb")
        except OSError as exc:
            raise storage_error(f"{self.location(key)}: cannot read", source, exc) from exc
        try:
            with handle:
                obstore.put(
                    self._store,
                    key,
                    handle,
                    attributes=dict(metadata) if metadata else None,
                    use_multipart=True,
                    chunk_size=PART_SIZE,
                    max_concurrency=UPLOAD_CONCURRENCY,
                )
        except Exception as exc:  # noqa: BLE001
            raise self._error(key, exc) from exc
        return True

    def copy(self, source_key: str, target_key: str) -> None:
        try:
            obstore.copy(self._store, source_key, target_key)
        except Exception as exc:  # noqa: BLE001
            raise self._error(source_key, exc) from exc

    def delete(self, key: str) -> None:
        try:
            obstore.delete(self._store, key)
        except FileNotFoundError:
            return
        except Exception as exc:  # noqa: BLE001
            raise self._error(key, exc) from exc


def _reason(exc: Exception) -> str:
    """obstore's many-line message as one line: what failed and the HTTP status, without the debug dump."""
    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    status = _STATUS.search(text)
    if status is not None:
        code = int(status.group(1))
        meaning = {
            301: "the bucket is in another region (set AWS_REGION)",
            403: "access denied: the credentials were refused",
            404: "no such bucket (or key)",
        }.get(code)
        if meaning:
            return f"{meaning} (HTTP {code})"
        return f"HTTP {code}: {first[:200]}"
    if "error sending request" in text or "Connect" in text:
        return "the endpoint does not answer (connection failed)"
    return first[:300]
