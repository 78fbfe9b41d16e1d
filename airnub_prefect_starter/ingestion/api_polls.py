"""Poll a JSON API and store its raw response in the CAS exactly like a file (identical responses dedupe)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import ResponseContentError
from airnub_prefect_starter.core.http.auth import NO_CREDENTIALS, Credentials
from airnub_prefect_starter.core.http.fetch import FetchedResponse
from airnub_prefect_starter.ingestion.downloads import (
    IngestContext,
    IngestResult,
    core_download_hash_store_and_manifest,
)

__all__ = ["ApiItem", "ApiPollResult", "core_poll_api_and_store", "extract_value"]


class ApiItem(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def extract_key(self) -> str | None: ...
    @property
    def link_title(self) -> str | None: ...
    @property
    def source_page_url(self) -> str | None: ...


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


def _load_json(stream: BinaryIO, url: str, content_type: str | None) -> Any:
    try:
        return json.load(stream)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResponseContentError(
            url, f"response is not JSON (Content-Type {content_type or 'missing'}): {exc}"
        ) from exc


def _describe(value: Any) -> tuple[str, int | None]:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    kind = names.get(type(value), "number")
    return kind, (len(value) if isinstance(value, list | dict) else None)


def core_poll_api_and_store(
    item: ApiItem, ctx: IngestContext, *, credentials: Credentials = NO_CREDENTIALS
) -> ApiPollResult:
    """GET ``item.url`` as JSON, refuse a non-JSON body or a missing ``extract_key`` (nothing stored), then
    store the raw bytes through :func:`core_download_hash_store_and_manifest` with kind ``api_response``.
    ``credentials`` go to the API's origin only (never logged, never in the manifest)."""
    shown = redact_url(item.url)

    def validate(path: Path, fetched: FetchedResponse) -> Mapping[str, str | int | None]:
        with path.open("rb") as handle:
            value = extract_value(
                _load_json(handle, shown, fetched.response.headers.get("content-type")), item.extract_key, shown
            )
        kind, count = _describe(value)
        return {"extract_key": item.extract_key, "extracted_type": kind, "extracted_count": count}

    ingest = core_download_hash_store_and_manifest(
        item,
        ctx,
        kind="api_response",
        headers={"Accept": "application/json"},
        credentials=credentials,
        validate=validate,
    )
    with ctx.store.open_stored(ingest.location) as stream:
        value = extract_value(_load_json(stream, shown, ingest.content_type), item.extract_key, shown)
    kind, count = _describe(value)
    return ApiPollResult(ingest=ingest, extract_key=item.extract_key, extracted_type=kind, extracted_count=count)
