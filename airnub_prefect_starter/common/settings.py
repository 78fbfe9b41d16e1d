"""Environment settings: one class, prefix ``AIRNUB_``, read when asked (never at import time).

:func:`load_settings` reads the ``.env`` of the project root (:mod:`~airnub_prefect_starter.common.project`: the
nearest folder above the working directory holding ``pyproject.toml`` or ``configs/department_mapping.yaml``; the
working directory outside a project), and a relative data dir or work dir is placed under that root: ``airnub`` run
from the root and a notebook in ``notebooks/`` see the same data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from airnub_prefect_starter.common.locations import checked_location, default_work_dir, join_location, parse_location
from airnub_prefect_starter.common.project import project_root_or_cwd
from airnub_prefect_starter.common.utils import redact_url, url_carries_secret

__all__ = ["INDEX_URL_REQUIRED", "OBJECT_COPIES_DIR_NAME", "AirnubSettings", "load_settings"]

#: The folder of the local data dir holding working copies of bucket bases outside the data dir's URL
#: (``.objects/<scheme>/<bucket>/<prefix>``).
OBJECT_COPIES_DIR_NAME = ".objects"

#: Why a data dir on object storage needs AIRNUB_INDEX_URL: no local default outlives the machine it ran on.
INDEX_URL_REQUIRED = (
    "required with the data dir on object storage ({data_url}), where no local index outlives this machine or its "
    "temp folder: set it, e.g. to postgresql+psycopg://user@host/airnub, or to "
    "sqlite:////path/on/a/durable/disk.sqlite3 for one machine (or name a Secret block holding it in "
    "AIRNUB_INDEX_URL_SECRET_BLOCK)"
)


class AirnubSettings(BaseSettings):
    """Where data lives and which index to use. Every field can be set as ``AIRNUB_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="AIRNUB_", env_file=".env", extra="ignore", frozen=True)

    data_dir: str = Field(
        default="data",
        description="Root for the CAS, index and data-science outputs: a local folder (relative: to the project "
        "root, the nearest folder above the working directory holding pyproject.toml or "
        "configs/department_mapping.yaml, else the working directory) or an object-storage URL s3://bucket/prefix "
        "(endpoint and credentials from the AWS_* variables or storage_credentials_block).",
    )
    work_dir: Path | None = Field(
        default=None,
        description="With data_dir on object storage: the local working copy processing and analysis compute in "
        "(relative: to the project root, as data_dir); default: a folder per data_dir URL under the temp dir.",
    )
    storage_credentials_block: str | None = Field(
        default=None,
        description="Prefect block holding object-storage credentials: a Secret holding JSON (access_key_id, "
        "secret_access_key, optional session_token, endpoint_url, region), or (the aws extra) an AwsCredentials, "
        "MinIOCredentials or S3Bucket block (whose bucket and folder must hold data_dir); a name, or type/name "
        "(e.g. aws-credentials/storage). Flow runs read it and it wins over the AWS_* variables.",
    )
    index_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the manifest index; default: SQLite file <data_dir>/manifest_index.sqlite3 "
        "for a local data_dir. Required (or index_url_secret_block) with data_dir on object storage: e.g. "
        "postgresql+psycopg://user@host/airnub, or sqlite:////path/on/a/durable/disk.sqlite3 for one machine.",
    )
    index_url_secret_block: str | None = Field(
        default=None,
        description="Prefect Secret block holding the index URL, password included; flow runs read it and it wins "
        "over index_url. Keeps the password out of prefect.yaml and of the job variables Prefect stores.",
    )
    host_limits: Literal["process", "prefect"] = Field(
        default="process",
        description="Where each stage's http.per_host_limit and http.per_host_rate hold: 'process' (each process "
        "keeps its own, so N workers send up to N times the limit to a host) or 'prefect' (across every worker and "
        "process, through Prefect global concurrency limits named airnub-host-<host> and airnub-rate-<host>, which "
        "`airnub limits setup` creates; a few API round trips per request, see docs/host-limits.md).",
    )
    config_dir: Path = Field(
        default=Path("configs"), description="Folder holding variables/ and department_mapping.yaml."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description="Level of the package's log lines shipped to Prefect run logs. INFO: one line per batch "
        "and every failure; DEBUG adds one line per file (slow: Prefect costs about 1 ms of CPU per log line).",
    )
    reports_base_url: str | None = Field(
        default=None,
        description="URL at which the data dir is served (a web server, a bucket website): analysis artifacts then "
        "link each HTML report as <this URL>/<path under the data dir>. Unset: the report artifact names the path, "
        "and no link is published (a file:// link opens nothing from the Prefect UI or another machine).",
    )
    project_dir: Path | None = Field(
        default=None,
        description="Folder holding flows/ and configs/ where deployment runs start (prefect.yaml's pull step); "
        "default: the checkout the flows package was installed from (editable install).",
    )

    @field_validator("data_dir", mode="before")
    @classmethod
    def _path_as_text(cls, value: object) -> object:
        """A path as text; a URL other than ``s3://`` refused (it would become a local folder named after it)."""
        text = os.fspath(value) if isinstance(value, os.PathLike) else value
        return checked_location(text) if isinstance(text, str) else text

    @model_validator(mode="after")
    def _durable_index(self) -> AirnubSettings:
        """A data dir on object storage names its index: a SQLite file in its working copy (a temp folder by
        default) would lose the provenance of the whole bucket with the machine or a temp clean-up."""
        if self.data_url is not None and not (self.index_url or self.index_url_secret_block):
            problem = PydanticCustomError("index_url_required", INDEX_URL_REQUIRED, {"data_url": self.data_url})
            details = InitErrorDetails(type=problem, loc=("index_url",), input=None)
            raise ValidationError.from_exception_data(type(self).__name__, [details])
        return self

    @property
    def data_url(self) -> str | None:
        """The data dir's ``s3://`` URL when it is on object storage, else ``None``."""
        location = parse_location(self.data_dir)
        return None if location.is_local else location.text

    @property
    def resolved_data_dir(self) -> Path:
        """The local data dir; with the data dir on object storage, its local working copy. A relative folder is
        under the project root (see :func:`~airnub_prefect_starter.common.project.project_root_or_cwd`)."""
        if self.data_url is not None:
            return _under_project((self.work_dir or default_work_dir(self.data_url)).expanduser())
        return _under_project(Path(self.data_dir).expanduser())

    @property
    def data_root(self) -> str:
        """Where the data lives, as written in the index and shown to users: the URL or the local folder."""
        return self.data_url or str(self.resolved_data_dir)

    @property
    def index_root(self) -> Path | str:
        """What the index records storage bases against (see ``open_index``): the data dir's URL or folder."""
        return self.data_url or self.resolved_data_dir

    def data_path(self, base: str | Path) -> Path:
        """``base`` (``~`` expanded) if absolute, else under the resolved (local) data dir: the one rule by which
        every stage places its configured folders, so a relative base means the same place in every stage. A
        bucket base: its local working copy (under the data dir's when it lies under the data dir's URL, else
        in ``<data dir>/.objects/<scheme>/<bucket>/<prefix>``)."""
        location = parse_location(base)
        if not location.is_local:
            url = location.text
            if self.data_url is not None and (url + "/").startswith(self.data_url + "/"):
                return self.resolved_data_dir.joinpath(*url.removeprefix(self.data_url).split("/"))
            return self.resolved_data_dir.joinpath(OBJECT_COPIES_DIR_NAME, *location.copy_parts)
        path = Path(base).expanduser()
        return path if path.is_absolute() else self.resolved_data_dir / path

    def location_of(self, path: str | Path) -> str:
        """Where a file of the local data dir lives for users: with the data dir (or the base) on object storage,
        its ``s3://`` URL (the inverse of :meth:`data_path`); otherwise the path as it is."""
        local = Path(path)
        if not local.is_relative_to(self.resolved_data_dir):
            return str(path)
        parts = local.relative_to(self.resolved_data_dir).parts
        if parts[:1] == (OBJECT_COPIES_DIR_NAME,) and len(parts) > 2:
            return f"{parts[1]}://" + "/".join(parts[2:])
        if self.data_url is not None:
            return join_location(self.data_url, *parts)
        return str(path)

    def storage_location(self, base: str | Path) -> str:
        """Where a configured storage base lives: an ``s3://`` base as it is, an absolute path as it is, a relative
        one under the data dir (on object storage when the data dir is)."""
        location = parse_location(base)
        if not location.is_local:
            return location.text
        if self.data_url is not None and not Path(base).expanduser().is_absolute():
            return join_location(self.data_url, Path(base).as_posix())
        return str(self.data_path(base))

    @property
    def resolved_index_url(self) -> str:
        """The index URL: ``index_url``, else (data dir on disk) the SQLite file in the data dir. With the data dir
        on object storage and the URL in a Secret block not read yet (see ``tasks.secrets.flow_settings``), a
        ``ValueError``: there is no local default to fall back on."""
        if self.index_url:
            return self.index_url
        if self.data_url is not None:
            raise ValueError("AIRNUB_INDEX_URL: " + INDEX_URL_REQUIRED.format(data_url=self.data_url))
        return f"sqlite:///{self.resolved_data_dir / 'manifest_index.sqlite3'}"

    @property
    def index_shown(self) -> str:
        """Where the index is, for users: its URL without a password, or the Secret block holding the URL."""
        if self.index_url:
            return redact_url(self.index_url) if url_carries_secret(self.index_url) else self.index_url
        if self.index_url_secret_block:
            return f"the URL in Secret block '{self.index_url_secret_block}'"
        return self.resolved_index_url


def _under_project(path: Path) -> Path:
    """``path`` made absolute against the project root (the working directory outside a project), resolved."""
    return (path if path.is_absolute() else project_root_or_cwd() / path).resolve()


def load_settings(**overrides: object) -> AirnubSettings:
    """Read the environment and the project root's ``.env`` now (the environment wins); ``overrides`` win over
    both."""
    return AirnubSettings(_env_file=project_root_or_cwd() / ".env", **overrides)  # type: ignore[arg-type]
