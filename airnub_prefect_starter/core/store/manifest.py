"""The manifest written beside every stored object: a versioned, secret-free provenance record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MANIFEST_SCHEMA_VERSION",
    "ObjectKind",
    "ObjectManifest",
    "RunIds",
    "allowlisted_headers",
]

MANIFEST_SCHEMA_VERSION = 1

ObjectKind = Literal["file", "api_response", "web_page"]

#: Response headers worth keeping for provenance. Anything else (Set-Cookie, Authorization, tokens,
#: tracking ids) is dropped, so a manifest can be shared without leaking credentials.
ALLOWED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-language",
        "content-length",
        "content-type",
        "date",
        "etag",
        "expires",
        "last-modified",
    }
)


def allowlisted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed subset of ``headers``, lower-cased and sorted."""
    return {k.lower(): v for k, v in sorted(headers.items()) if k.lower() in ALLOWED_RESPONSE_HEADERS}


class RunIds(BaseModel):
    """Prefect run identifiers, filled in by task wrappers (core never asks Prefect)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    flow_run_id: str | None = None
    task_run_id: str | None = None


class ObjectManifest(BaseModel):
    """Provenance of one stored object. URLs are redacted; headers are allow-listed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    kind: ObjectKind = Field(description="What was fetched: a file, a JSON API response or an HTML page.")
    data_source_name: str
    name: str = Field(description="The item's name in the config.")
    filename: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=0)
    content_type: str | None = None
    source_url: str = Field(description="The configured URL, redacted.")
    final_url: str = Field(description="The URL after redirects, redacted.")
    link_title: str | None = None
    source_page_url: str | None = None
    http_status: int
    etag: str | None = None
    last_modified: str | None = None
    response_headers: dict[str, str] = Field(default_factory=dict)
    retrieved_at: datetime
    completed_at: datetime
    run_ids: RunIds = Field(default_factory=RunIds)
    tool_version: str
    details: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="Kind-specific facts, e.g. an API's extract_key."
    )

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(indent=2).encode("utf-8") + b"\n"
