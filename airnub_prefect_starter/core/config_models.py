"""Pydantic models for the YAML under ``configs/`` and the one loader that turns any problem into a
:class:`ConfigError` naming the file, the key path and the problem.

Every model is frozen with ``extra="forbid"``: a typo is an error, not a silently ignored key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.http_policy import HttpOverrides

__all__ = [
    "ApiToPoll",
    "DepartmentInfo",
    "DepartmentMapping",
    "FileToAcquire",
    "IngestionStageConfig",
    "LinkFollowing",
    "PageToScrape",
    "PublicApiDataConfig",
    "ScheduledFileDownloadsConfig",
    "TaskRunnerConfig",
    "WebPageLinkScrapingConfig",
    "format_validation_error",
    "load_yaml_file",
    "parse_config",
]

M = TypeVar("M", bound=BaseModel)


def _http_url(value: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a valid http(s) URL: {value!r}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from exc
    return value


# The JSON Schema "format" lets editors (and the generated reference) show what the string must be.
HttpUrl = Annotated[str, AfterValidator(_http_url), Field(json_schema_extra={"format": "uri"})]
Regex = Annotated[str, AfterValidator(_regex), Field(json_schema_extra={"format": "regex"})]
DataSourceName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
        description="Names the source's folder in the store: letters, digits, '_', '.', '-'.",
    ),
]
StorageBase = Annotated[
    str, Field(min_length=1, description="Store root: absolute, or relative to the data dir (AIRNUB_DATA_DIR).")
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FileToAcquire(_Model):
    """One file to download."""

    name: str = Field(min_length=1, description="Short name shown in summaries and manifests.")
    url: HttpUrl = Field(description="http(s) URL of the file.")
    link_title: str | None = Field(default=None, description="Anchor text or title of the link, if known.")
    source_page_url: HttpUrl | None = Field(default=None, description="Page the link was found on, if any.")


class _UnlinkedSource(_Model):
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
    auth_secret_block: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+$",
        description="Prefect Secret block whose value is sent as 'Authorization: Bearer <value>'.",
    )


class PageToScrape(_UnlinkedSource):
    """One HTML page whose links are extracted."""

    name: str = Field(min_length=1, description="Short name shown in summaries and manifests.")
    url: HttpUrl = Field(description="http(s) URL of the page.")


class LinkFollowing(_Model):
    """Which extracted links to download as files."""

    patterns: list[Regex] = Field(min_length=1, description="Regular expressions; a link is followed if any matches.")
    max_files_per_page: int = Field(default=100, ge=1, le=10000, description="Cap on followed links per page.")


class ScheduledFileDownloadsConfig(_Model):
    """Category ``scheduled_file_downloads``: download a fixed list of files."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    data_source_name: DataSourceName
    local_artifacts_storage_base: StorageBase
    files_to_acquire: list[FileToAcquire] = Field(description="Files to download on every run.")
    http: HttpOverrides | None = Field(default=None, description="HTTP policy for this category (wins over stage).")


class PublicApiDataConfig(_Model):
    """Category ``public_api_data``: poll JSON APIs and store each response."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    data_source_name: DataSourceName
    local_artifacts_storage_base: StorageBase = Field(
        default="api_responses", description="Store root for the responses (relative to the data dir)."
    )
    apis_to_poll: list[ApiToPoll] = Field(description="API endpoints to poll on every run.")
    http: HttpOverrides | None = Field(default=None, description="HTTP policy for this category (wins over stage).")


class WebPageLinkScrapingConfig(_Model):
    """Category ``web_page_link_scraping``: store pages, extract their links, optionally download some."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    data_source_name: DataSourceName
    local_manifests_storage_base: StorageBase = Field(description="Store root for the scraped pages.")
    local_artifacts_storage_base: StorageBase | None = Field(
        default=None, description="Store root for followed files (default: local_manifests_storage_base)."
    )
    pages_to_scrape: list[PageToScrape] = Field(description="Pages to scrape on every run.")
    max_links_per_page: int = Field(default=1000, ge=1, le=100000, description="Links extracted per page at most.")
    follow_links: LinkFollowing | None = Field(default=None, description="Download matching links as files.")
    http: HttpOverrides | None = Field(default=None, description="HTTP policy for this category (wins over stage).")


class TaskRunnerConfig(_Model):
    """How a stage runs its batches: bounded threads (default) or Dask."""

    kind: Literal["threads", "dask"] = Field(default="threads", description="'threads' or 'dask' (prefect-dask).")
    n_workers: int = Field(default=2, ge=1, le=64, description="Workers of a temporary local Dask cluster.")
    address: str | None = Field(default=None, description="Existing Dask scheduler address; local cluster if unset.")

    @model_validator(mode="after")
    def _address_needs_dask(self) -> TaskRunnerConfig:
        if self.address and self.kind != "dask":
            raise ValueError("address is only valid with kind: dask")
        return self


class IngestionStageConfig(_Model):
    """The Variable ``dept_<id>_ingestion_config``: the three ingestion categories."""

    http: HttpOverrides | None = Field(default=None, description="HTTP policy for every category of the stage.")
    task_runner: TaskRunnerConfig = Field(default_factory=TaskRunnerConfig, description="Where batches run.")
    batch_size: int = Field(default=25, ge=1, le=10000, description="Items per Prefect task (batches bound overhead).")
    scheduled_file_downloads: ScheduledFileDownloadsConfig | None = Field(
        default=None, description="Download a fixed list of files (category left out when absent)."
    )
    public_api_data: PublicApiDataConfig | None = Field(
        default=None, description="Poll JSON APIs and store each response (category left out when absent)."
    )
    web_page_link_scraping: WebPageLinkScrapingConfig | None = Field(
        default=None, description="Store HTML pages and extract their links (category left out when absent)."
    )


class DepartmentInfo(_Model):
    """How people see one department."""

    display_name: str = Field(min_length=1, description="Human name used in flow-run names and artifacts.")
    description: str = Field(default="", description="One line about the department.")


class DepartmentMapping(_Model):
    """``configs/department_mapping.yaml``: department id -> display name."""

    departments: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], DepartmentInfo] = Field(
        description="Department id (lower-case letters, digits, '_'; as in dept_<id>) -> its display name."
    )

    def display_name(self, department: str) -> str:
        key = department.removeprefix("dept_")
        info = self.departments.get(key)
        return info.display_name if info else key.replace("_", " ").title()


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "<root>"


def format_validation_error(source: str, error: ValidationError) -> str:
    """``<source>: <key.path[2].x>: <problem>`` for each error, joined with ``; `` on one line."""
    problems = []
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (typo?)"
        problems.append(f"{source}: {_loc_to_path(tuple(item['loc']))}: {message}")
    return "; ".join(problems)


def parse_config(model: type[M], data: Any, source: str) -> M:
    """Validate ``data`` against ``model``; raise :class:`ConfigError` naming ``source`` and key paths."""
    if data is None:
        raise ConfigError(f"{source}: <root>: the config is empty")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from None


def load_yaml_file(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes :class:`ConfigError` with the line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<root>"
        raise ConfigError(f"{path}: {where}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
