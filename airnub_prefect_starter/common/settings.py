"""Environment settings: one class, prefix ``AIRNUB_``, read when asked (never at import time)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["AirnubSettings", "load_settings"]


class AirnubSettings(BaseSettings):
    """Where data lives and which index to use. Every field can be set as ``AIRNUB_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="AIRNUB_", env_file=".env", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path("data"), description="Root for the CAS, index and data-science outputs.")
    index_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the manifest index; default: SQLite file <data_dir>/manifest_index.sqlite3.",
    )
    index_url_secret_block: str | None = Field(
        default=None,
        description="Prefect Secret block holding the index URL, password included; flow runs read it and it wins "
        "over index_url. Keeps the password out of prefect.yaml and of the job variables Prefect stores.",
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

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    def data_path(self, base: str | Path) -> Path:
        """``base`` (``~`` expanded) if absolute, else under the resolved data dir: the one rule by which every
        stage places its configured folders, so a relative base means the same place in ingestion and analysis."""
        path = Path(base).expanduser()
        return path if path.is_absolute() else self.resolved_data_dir / path

    @property
    def resolved_index_url(self) -> str:
        if self.index_url:
            return self.index_url
        return f"sqlite:///{self.resolved_data_dir / 'manifest_index.sqlite3'}"


def load_settings(**overrides: object) -> AirnubSettings:
    """Read the environment (and ``.env``) now; ``overrides`` win over both."""
    return AirnubSettings(**overrides)  # type: ignore[arg-type]
