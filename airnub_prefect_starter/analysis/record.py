"""``<reports>/<dataset>/analysis.json``: what one analysis was computed from and every file it produced.

The record is how the analysis stage stays incremental: when the dataset hash, its raw inputs' sha256s, the model
parameters and the output folders equal the record's *recipe*, and every output file still hashes to its record,
there is nothing to do. The URLs that served the raw inputs are provenance, not identity: the same bytes fetched
from another URL (a source that moved, a demo on another port) analyse nothing again. Paths inside the data dir
are stored relative to it, so a moved data dir stays valid.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final, Literal

from pydantic import Field, ValidationError

from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.config import ConfigModel
from airnub_prefect_starter.data_science.modeling.metadata import ModelKind, ModelMetrics

__all__ = [
    "ANALYSIS_RECORD_SCHEMA_VERSION",
    "AnalysisOutputs",
    "AnalysisRecipe",
    "AnalysisRecord",
    "OutputRef",
    "data_relative",
    "load_analysis_record",
]

logger = logging.getLogger(__name__)

#: 2: the recipe has ``sample_rows`` (a record of version 1 is read as no record: the dataset is analysed again).
ANALYSIS_RECORD_SCHEMA_VERSION: Final = 2


def data_relative(path: Path, data_dir: Path) -> str:
    """``path`` relative to ``data_dir`` (POSIX) when inside it, else absolute."""
    return path.relative_to(data_dir).as_posix() if path.is_relative_to(data_dir) else str(path)


class OutputRef(ConfigModel):
    """One output file: its path (relative to the data dir when inside it) and sha256."""

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @classmethod
    def of(cls, path: Path, data_dir: Path, *, sha256: str | None = None) -> OutputRef:
        """The file at ``path``, hashed now unless the caller holds the ``sha256`` of the bytes it just wrote
        there (a model of hundreds of MB is then not read back only to hash it again)."""
        return cls(path=data_relative(path, data_dir), sha256=sha256_file(path) if sha256 is None else sha256)

    def resolve(self, data_dir: Path) -> Path:
        path = Path(self.path)
        return path if path.is_absolute() else data_dir / path

    def intact(self, data_dir: Path) -> bool:
        path = self.resolve(data_dir)
        try:
            return path.is_file() and sha256_file(path) == self.sha256
        except OSError:
            return False


class AnalysisRecipe(ConfigModel):
    """Everything the outputs are a function of; any change but ``sources`` means analysing again."""

    dataset_name: str
    dataset_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    input_sha256s: tuple[str, ...]
    sources: tuple[tuple[str, str], ...] = Field(
        description="(raw sha256, source URL) pairs, sorted, for the report: provenance, not compared."
    )
    model_kind: ModelKind | None = Field(description="The estimator; ``None`` when there is no target (no model).")
    target: str | None = Field(
        default=None, description="The column the model predicts: the analysis' own target, else the schema's."
    )
    seed: int
    test_size: float
    sample_rows: int = Field(description="Rows the model and the figures see at most (a seeded sample).")
    models_dir: str = Field(description="Relative to the data dir when inside it, as every folder here.")
    figures_dir: str
    reports_dir: str

    def same_inputs(self, other: AnalysisRecipe) -> bool:
        """True when both recipes make the same outputs: equal in everything but the source URLs."""
        return self.model_dump(exclude={"sources"}) == other.model_dump(exclude={"sources"})


class AnalysisOutputs(ConfigModel):
    """Every file of an analysis; the model's three are ``None`` when there is no model."""

    model: OutputRef | None
    model_metadata: OutputRef | None
    metrics: OutputRef | None
    figures: tuple[OutputRef, ...]
    report_markdown: OutputRef
    report_html: OutputRef

    def all(self) -> tuple[OutputRef, ...]:
        files = (self.model, self.model_metadata, self.metrics, *self.figures, self.report_markdown, self.report_html)
        return tuple(ref for ref in files if ref is not None)


class AnalysisRecord(ConfigModel):
    """The record of one analysis (no timestamps: the same inputs give the same bytes); ``model_sha256`` and
    ``metrics`` are ``None`` when there is no model."""

    schema_version: Literal[2] = ANALYSIS_RECORD_SCHEMA_VERSION
    recipe: AnalysisRecipe
    model_sha256: str | None = Field(pattern=r"^[0-9a-f]{64}$")
    metrics: ModelMetrics | None
    outputs: AnalysisOutputs

    def up_to_date(self, recipe: AnalysisRecipe, data_dir: Path) -> bool:
        """True when ``recipe`` makes this record's outputs (source URLs aside) and every output file is still
        there with its hash."""
        return self.recipe.same_inputs(recipe) and all(ref.intact(data_dir) for ref in self.outputs.all())

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(indent=2).encode("utf-8") + b"\n"


def _older_version(data: bytes) -> int | None:
    """The ``schema_version`` of a record written by an earlier version, else ``None``."""
    try:
        version = json.loads(data).get("schema_version")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, int) and version < ANALYSIS_RECORD_SCHEMA_VERSION else None


def load_analysis_record(path: Path) -> AnalysisRecord | None:
    """The record at ``path``, or ``None`` when it is absent, of an earlier schema version or unreadable (the
    analysis then runs again)."""
    try:
        data = path.read_bytes()
        return AnalysisRecord.model_validate_json(data)
    except FileNotFoundError:
        return None
    except ValidationError as exc:
        version = _older_version(data)
        if version is not None:
            logger.info("%s: analysis record of schema version %d; analysing again", path, version)
        else:
            logger.warning("%s: ignoring unreadable analysis record (%s)", path, exc)
        return None
    except OSError as exc:
        logger.warning("%s: ignoring unreadable analysis record (%s)", path, exc)
        return None
