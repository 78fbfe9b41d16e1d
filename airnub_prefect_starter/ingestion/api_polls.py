"""Poll a JSON API and store its raw response in the CAS exactly like a file (identical responses dedupe).

A response is parsed once, when it is stored: its summary (the JSON type at ``extract_key`` and its length) goes
into the object's manifest, and an unchanged response (HTTP 304, or the same bytes again) is summarised from
there. Only when the manifest records another ``extract_key`` is the stored copy parsed again."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from pydantic import ValidationError

from airnub_prefect_starter.common.utils import load_json_bounded, redact_url
from airnub_prefect_starter.core.errors import ResponseContentError, StorageError
from airnub_prefect_starter.core.http.auth import NO_CREDENTIALS, Credentials
from airnub_prefect_starter.core.http.fetch import FetchedResponse
from airnub_prefect_starter.core.store.manifest import ObjectManifest
from airnub_prefect_starter.ingestion.downloads import (
    IngestContext,
    IngestResult,
    SourceItem,
    download_hash_store_and_manifest,
)

__all__ = ["ApiItem", "ApiPollResult", "poll_api_and_store", "extract_value"]


class ApiItem(SourceItem, Protocol):
    """A configured API endpoint: a source item with where its records are and how large a response may be."""

    @property
    def extract_key(self) -> str | None: ...
    @property
    def max_json_bytes(self) -> int: ...


@dataclass(frozen=True)
class ApiPollResult:
    """The stored response, and what ``extract_key`` points at: its JSON type and, for a list, its length."""

    ingest: IngestResult
    extract_key: str | None
    extracted_type: str
    extracted_count: int | None


def extract_value(document: Any, extract_key: str | None, url: str) -> Any:
    """The value at the dotted ``extract_key`` (``data.items``; list indexes as digits), or the document."""
    if not extract_key:
        return document
    value = document
    walked: list[str] = []
    for part in extract_key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            where = ".".join(walked) or "the top level"
            keys = ", ".join(sorted(map(str, value))[:10]) if isinstance(value, Mapping) else type(value).__name__
            raise ResponseContentError(url, f"extract_key '{extract_key}': '{part}' not found at {where} (has: {keys})")
        walked.append(part)
    return value


def _parse_json(stream: BinaryIO, url: str, content_type: str | None) -> Any:
    """The body parsed as JSON (UTF-8, -16 or -32, as RFC 8259 allows); a body that is not JSON, or that no parser
    should be asked to build (nested deeper than the interpreter's recursion limit, an integer of more digits than
    ``int`` converts), is a :class:`ResponseContentError`. The bytes are let go before the document is built."""
    shown_type = f"Content-Type {content_type or 'missing'}"
    raw = stream.read()
    try:
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise ResponseContentError(url, f"response is not JSON ({shown_type}): {exc}") from None
    del raw
    try:
        return load_json_bounded(text)
    except json.JSONDecodeError as exc:
        raise ResponseContentError(url, f"response is not JSON ({shown_type}): {exc}") from None
    except ValueError as exc:  # nested too deeply, or a number of too many digits
        raise ResponseContentError(url, f"response is not JSON this parser accepts ({shown_type}): {exc}") from None


def _refuse_oversize(size: int, item: ApiItem, url: str) -> None:
    """Refuse, before it is read, a body larger than ``item.max_json_bytes`` (parsed JSON takes several times its
    size in memory)."""
    if size > item.max_json_bytes:
        raise ResponseContentError(
            url, f"response is {size} bytes, over max_json_bytes {item.max_json_bytes}: too large to parse as JSON"
        )


def _summarise(stream: BinaryIO, item: ApiItem, url: str, content_type: str | None) -> tuple[str, int | None]:
    """The JSON type of the value at ``item.extract_key`` and, for an array or object, its length; the body is
    parsed once and the document dropped as soon as it is summarised."""
    return _describe(extract_value(_parse_json(stream, url, content_type), item.extract_key, url))


def _describe(value: Any) -> tuple[str, int | None]:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    kind = names.get(type(value), "number")
    return kind, (len(value) if isinstance(value, list | dict) else None)


def poll_api_and_store(
    item: ApiItem, ctx: IngestContext, *, credentials: Credentials = NO_CREDENTIALS
) -> ApiPollResult:
    """GET ``item.url`` as JSON, refuse a non-JSON body or a missing ``extract_key`` (nothing stored), then
    store the raw bytes through :func:`download_hash_store_and_manifest` with kind ``api_response``.
    ``credentials`` go to the API's origin only (never logged, never in the manifest)."""
    shown = redact_url(item.url)
    summary: list[tuple[str, int | None]] = []  # filled by ``validate`` when a body came: it is parsed there only

    def validate(path: Path, fetched: FetchedResponse) -> Mapping[str, str | int | None]:
        _refuse_oversize(path.stat().st_size, item, shown)
        with path.open("rb") as handle:
            kind, count = _summarise(handle, item, shown, fetched.response.headers.get("content-type"))
        summary.append((kind, count))
        return {"extract_key": item.extract_key, "extracted_type": kind, "extracted_count": count}

    ingest = download_hash_store_and_manifest(
        item,
        ctx,
        kind="api_response",
        headers={"Accept": "application/json"},
        credentials=credentials,
        validate=validate,
    )
    if summary:
        kind, count = summary[-1]
    else:  # unchanged: what its manifest recorded, else (another extract_key) the stored copy summarised
        kind, count = _recorded_summary(ctx, ingest, item) or _stored_summary(ctx, ingest, item, shown)
    return ApiPollResult(ingest=ingest, extract_key=item.extract_key, extracted_type=kind, extracted_count=count)


def _recorded_summary(ctx: IngestContext, ingest: IngestResult, item: ApiItem) -> tuple[str, int | None] | None:
    """The summary the object's manifest recorded when the response was stored, if it is for ``extract_key`` (a
    manifest that cannot be read: ``None``, and the stored copy is summarised; ``manifest verify`` reports it)."""
    try:
        with ctx.store.open_stored(ingest.manifest_location) as stream:
            details = ObjectManifest.model_validate_json(stream.read()).details
    except (OSError, StorageError, ValidationError):
        return None
    kind, count = details.get("extracted_type"), details.get("extracted_count")
    if details.get("extract_key") != item.extract_key or not isinstance(kind, str):
        return None
    return kind, count if isinstance(count, int) else None


def _stored_summary(ctx: IngestContext, ingest: IngestResult, item: ApiItem, shown: str) -> tuple[str, int | None]:
    _refuse_oversize(ingest.size_bytes, item, shown)
    with ctx.store.open_stored(ingest.location) as stream:
        return _summarise(stream, item, shown, ingest.content_type)
