"""The ingestion stage's config (the Variable ``dept_<id>_ingestion_config``): the keys every ingestion stage
shares, the sections of the three ingestion kinds, their items and HTTP policy. A department's stage model (in its
``flows/dept_<id>/config_models_dept_<id>.py``) extends :class:`IngestionStageBase` with one section per category.

Every model is frozen with ``extra="forbid"`` and every field has a description (the docs are generated from them).
A section's items are a :class:`~airnub_prefect_starter.common.sealed.Sealed` sequence, not a list: the section is a
flow parameter, which Prefect would otherwise walk item by item several times per run; in YAML, JSON, the JSON Schema
and the docs they are a list, and in Python they read like one.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from airnub_prefect_starter.common.sealed import Sealed
from airnub_prefect_starter.core.config import (
    ConfigModel,
    DataSourceName,
    HttpUrl,
    Regex,
    StorageBase,
    TaskRunnerConfig,
    reject_moved_key,
)
from airnub_prefect_starter.core.http.auth import SourceAuth
from airnub_prefect_starter.core.http.policy import HostPattern, HttpOverrides

__all__ = [
    "DEFAULT_MAX_JSON_BYTES",
    "ApiConfig",
    "ApiToPoll",
    "DownloadsConfig",
    "FileToAcquire",
    "IngestionStageBase",
    "LinkFollowing",
    "PageToScrape",
    "ScrapeConfig",
]

#: The default ``max_json_bytes`` of an API poll: 100 MiB of JSON parses into roughly 0.5 to 1 GB of Python objects.
DEFAULT_MAX_JSON_BYTES = 100 * 1024**2


class FileToAcquire(ConfigModel):
    """One file to download."""

    name: str = Field(min_length=1, description="Short name shown in summaries and manifests.")
    url: HttpUrl = Field(description="http(s) URL of the file.")
    link_title: str | None = Field(default=None, description="Anchor text or title of the link, if known.")
    source_page_url: HttpUrl | None = Field(default=None, description="Page the link was found on, if any.")
    auth: SourceAuth | None = Field(
        default=None, description="Credentials from Secret blocks, sent to this URL's origin only."
    )


class _UnlinkedSource(ConfigModel):
    """A source configured directly, not found as a link on a page (no anchor text, no referring page)."""

    @property
    def link_title(self) -> str | None:
        return None

    @property
    def source_page_url(self) -> str | None:
        return None


class ApiToPoll(_UnlinkedSource):
    """One JSON API endpoint to poll."""

    name: str = Field(min_length=1, description="Short name shown in summaries and manifests.")
    url: HttpUrl = Field(description="http(s) URL answering with JSON.")
    extract_key: str | None = Field(
        default=None, description="Dotted path that must exist in the response (e.g. 'data.items'); summarised."
    )
    max_json_bytes: int = Field(
        default=DEFAULT_MAX_JSON_BYTES,
        gt=0,
        description="Largest response parsed as JSON (parsing takes several times the size in memory); a larger "
        "one fails the item.",
    )
    auth: SourceAuth | None = Field(
        default=None, description="Credentials from Secret blocks, sent to this URL's origin only."
    )

    @model_validator(mode="before")
    @classmethod
    def _auth_moved(cls, data: Any) -> Any:
        return reject_moved_key(data, "auth_secret_block", "auth.bearer_secret_block")


class PageToScrape(_UnlinkedSource):
    """One HTML page whose links are extracted."""

    name: str = Field(min_length=1, description="Short name shown in summaries and manifests.")
    url: HttpUrl = Field(description="http(s) URL of the page.")
    auth: SourceAuth | None = Field(
        default=None, description="Credentials from Secret blocks, sent to this URL's origin only."
    )


class LinkFollowing(ConfigModel):
    """Which extracted links to download as files, and which of them get ``auth``."""

    patterns: list[Regex] = Field(min_length=1, description="Regular expressions; a link is followed if any matches.")
    same_host: bool = Field(
        default=False,
        description="Follow only links on the scraped page's host (any scheme or port; 'localhost' and "
        "'127.0.0.1' are different hosts). Off (the default): a link matching patterns is followed on any host; "
        "generated scrape categories turn it on.",
    )
    max_files_per_page: int = Field(
        default=100, ge=1, le=10000, description="Cap on followed links per page (after patterns and same_host)."
    )
    auth: SourceAuth | None = Field(
        default=None,
        description="Credentials from Secret blocks for the followed files on the scraped page's own origin "
        "(scheme, host and port) and on auth_hosts. A link to any other origin is still downloaded, without them.",
    )
    auth_hosts: list[HostPattern] = Field(
        default_factory=list,
        description="Further hosts whose followed files get auth: a host name, or '.example.org' for its "
        "subdomains; any port, but never over http from an https page. Empty (the default): the page's origin only.",
    )

    @model_validator(mode="after")
    def _auth_hosts_need_auth(self) -> LinkFollowing:
        if self.auth_hosts and self.auth is None:
            raise ValueError("auth_hosts is set but auth is not: name the credentials to send to those hosts")
        return self


class DownloadsConfig(ConfigModel):
    """A category of kind ``downloads``: download a fixed list of files."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    data_source_name: DataSourceName
    local_artifacts_storage_base: StorageBase
    files_to_acquire: Sealed[FileToAcquire] = Field(description="Files to download on every run.")
    http: HttpOverrides | None = Field(default=None, description="HTTP policy for this category (wins over stage).")


class ApiConfig(ConfigModel):
    """A category of kind ``api``: poll JSON APIs and store each response."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    data_source_name: DataSourceName
    local_artifacts_storage_base: StorageBase = Field(
        default="api_responses", description="Store root for the responses (relative to the data dir)."
    )
    apis_to_poll: Sealed[ApiToPoll] = Field(description="API endpoints to poll on every run.")
    http: HttpOverrides | None = Field(default=None, description="HTTP policy for this category (wins over stage).")


class ScrapeConfig(ConfigModel):
    """A category of kind ``scrape``: store pages, extract their links, optionally download some."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    data_source_name: DataSourceName
    local_manifests_storage_base: StorageBase = Field(description="Store root for the scraped pages.")
    local_artifacts_storage_base: StorageBase | None = Field(
        default=None, description="Store root for followed files (default: local_manifests_storage_base)."
    )
    pages_to_scrape: Sealed[PageToScrape] = Field(description="Pages to scrape on every run.")
    max_links_per_page: int = Field(default=1000, ge=1, le=100000, description="Links extracted per page at most.")
    follow_links: LinkFollowing | None = Field(default=None, description="Download matching links as files.")
    http: HttpOverrides | None = Field(default=None, description="HTTP policy for this category (wins over stage).")


class IngestionStageBase(ConfigModel):
    """The keys of every ingestion stage config; each category adds an optional section (the Variable
    ``dept_<id>_ingestion_config``)."""

    http: HttpOverrides | None = Field(default=None, description="HTTP policy for every category of the stage.")
    task_runner: TaskRunnerConfig = Field(default_factory=TaskRunnerConfig, description="Where batches run.")
    batch_size: int | None = Field(
        default=None,
        ge=1,
        le=10000,
        description="Items per Prefect task; unset: one task for up to 1000 items (more: the fewest tasks of at most "
        "1000 items each).",
    )

    def category_parameters(self) -> dict[str, Any]:
        """What every ingestion category flow gets besides its section: the stage's HTTP policy and batch size."""
        return {"stage_http": self.http, "batch_size": self.batch_size}


#: The names these models had before they were named by kind (departments generated then import them).
ScheduledFileDownloadsConfig = DownloadsConfig
PublicApiDataConfig = ApiConfig
WebPageLinkScrapingConfig = ScrapeConfig
