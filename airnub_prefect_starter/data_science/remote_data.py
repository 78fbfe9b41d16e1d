"""Datasets, models and reports of a data dir on object storage (``AIRNUB_DATA_DIR=s3://bucket/prefix``), opened
from a notebook or a script on any machine, without Prefect.

Two ways:

- :func:`pull_data` brings folders of the data dir (default ``processed``, ``models`` and ``reports``) into its
  local working copy, the folder :func:`~airnub_prefect_starter.data_science.config_ds.data_paths` points at; only
  files whose size or sha256 differ are transferred (:mod:`airnub_prefect_starter.core.store.mirror`, the same
  transfer the stages use). Everything then opens as from a local data dir, checked against its sha256 as usual.
  ``airnub data pull`` is the same from a shell.
- :func:`polars_storage_options` gives polars what it needs to scan a file straight from the bucket
  (``pl.scan_parquet(settings.storage_location("processed/iris.parquet"), storage_options=...)``): no copy, and no
  sha256 check either.

The endpoint and credentials are explicit :class:`S3Credentials`, else the standard AWS variables
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION``). This
module reads no Prefect block: to use the one ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` names (a secret,
aws-credentials, minio-credentials or s3-bucket block), as ``airnub data pull`` and the flows do, pass on the
settings and credentials :func:`airnub_prefect_starter.cli.environment.resolved_environment` returns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.store import mirror
from airnub_prefect_starter.core.store.backends import open_bucket
from airnub_prefect_starter.core.store.object_store import S3Credentials

__all__ = ["DEFAULT_FOLDERS", "PulledFolder", "polars_storage_options", "pull_data"]

#: What a notebook reads: the datasets, the models and the analysis records and reports (not the raw store).
DEFAULT_FOLDERS: Final = ("processed", "models", "reports")

#: polars/object_store option -> the AWS variable it falls back on.
_VARIABLES: Final = {
    "aws_access_key_id": ("AWS_ACCESS_KEY_ID",),
    "aws_secret_access_key": ("AWS_SECRET_ACCESS_KEY",),
    "aws_session_token": ("AWS_SESSION_TOKEN",),
    "aws_region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "aws_endpoint_url": ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
}


@dataclass(frozen=True)
class PulledFolder:
    """One folder of the data dir brought into the working copy: from ``url`` to ``path``, and what moved."""

    url: str
    path: Path
    result: mirror.SyncResult

    def describe(self) -> str:
        return f"{self.url} -> {self.path}: {self.result.describe()}"


def _checked_folder(folder: str) -> str:
    """``folder`` as a ``/``-separated path inside the data dir; :class:`ConfigError` for anything else."""
    parts = PurePosixPath(folder.replace("\\", "/")).parts
    if not parts or PurePosixPath(folder).is_absolute() or "://" in folder or ".." in parts:
        raise ConfigError(f"{folder!r}: not a folder inside the data dir (e.g. processed, models, reports)")
    if any(part.startswith(".") for part in parts):
        raise ConfigError(f"{folder!r}: hidden folders (temporary files, caches) are never pulled")
    return "/".join(parts)


def pull_data(
    *folders: str, settings: AirnubSettings | None = None, credentials: S3Credentials | None = None
) -> list[PulledFolder]:
    """Bring ``folders`` (relative to the data dir; default :data:`DEFAULT_FOLDERS`) from the bucket into the data
    dir's local working copy. With a local data dir there is nothing to pull: ``[]``. :class:`ConfigError` for a
    folder outside the data dir, :class:`StorageError` (one line, the URL and why) when the bucket cannot be
    read."""
    settings = settings or load_settings()
    if settings.data_url is None:
        return []
    pulled = []
    for folder in dict.fromkeys(_checked_folder(f) for f in folders or DEFAULT_FOLDERS):
        url, path = settings.storage_location(folder), settings.data_path(folder)
        pulled.append(PulledFolder(url, path, mirror.pull(open_bucket(url, credentials), "", path)))
    return pulled


def polars_storage_options(credentials: S3Credentials | None = None) -> dict[str, str]:
    """``storage_options`` for polars' readers of ``s3://`` URLs: ``credentials`` where given, else the AWS
    variables; plain HTTP allowed when the endpoint says ``http://`` (a loopback or LAN server). The dict holds
    the secret key: pass it on, never print or log it."""
    given = (credentials or S3Credentials()).config()
    if "aws_endpoint" in given:
        given["aws_endpoint_url"] = given.pop("aws_endpoint")
    options: dict[str, str] = {}
    for option, names in _VARIABLES.items():
        value = given.get(option) or next((os.environ[name] for name in names if os.environ.get(name)), None)
        if value:
            options[option] = value
    if options.get("aws_endpoint_url", "").startswith("http://"):
        options["aws_allow_http"] = "true"
    return options
