"""The analysis report: ``report.md`` and a self-contained ``report.html`` with lineage for every result.

Both files are rendered from one list of blocks. The HTML embeds each figure as a ``data:image/png;base64``
URI and escapes every piece of text. The lineage section ties every figure and metric to the dataset (name and
sha256), the model (sha256) and each raw input (sha256 and the URL it was fetched from). Nothing time-dependent
is rendered, so the same inputs give the same bytes and an unchanged report is not rewritten.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import ConfigError, StorageError
from airnub_prefect_starter.data_science.dataset_profile import DatasetProfile
from airnub_prefect_starter.data_science.dataset_store import DatasetManifest, atomic_write_bytes
from airnub_prefect_starter.data_science.modeling.metadata import ModelMetadata
from airnub_prefect_starter.data_science.report_rendering import (
    Block,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
    to_html,
    to_markdown,
)
from airnub_prefect_starter.data_science.report_sections import (
    metric_names,
    metric_sections,
    no_model_section,
    rows_section,
    statistics_sections,
)

__all__ = ["LineageEntry", "Report", "ReportFigure", "ReportProvenance", "build_report"]

logger = logging.getLogger(__name__)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ReportFigure:
    """A PNG to embed. ``from_model``: drawn from the model's evaluation (its lineage names the model too)."""

    title: str
    path: Path
    from_model: bool = False


@dataclass(frozen=True)
class LineageEntry:
    """Where one figure or metric comes from."""

    artifact: str
    dataset_name: str
    dataset_sha256: str
    model_sha256: str | None
    inputs: tuple[tuple[str, str], ...] = field(default=())  # (raw sha256, source URL)


@dataclass(frozen=True)
class ReportProvenance:
    """Who wrote a report, when: the generation time, the code version and the Prefect flow run, if any."""

    generated_at: datetime
    version: str
    flow_run_id: str | None = None

    def sentence(self) -> str:
        run = f" in Prefect flow run {self.flow_run_id}" if self.flow_run_id else ""
        return f"Generated {self.generated_at:%Y-%m-%d %H:%M:%S %Z} by airnub-prefect-starter {self.version}{run}."


@dataclass(frozen=True)
class Report:
    markdown_path: Path
    html_path: Path
    lineage: tuple[LineageEntry, ...]
    rewritten: bool


def _inputs(dataset: DatasetManifest, sources: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    urls: dict[str, list[str]] = {}
    for sha256, url in sources:
        urls.setdefault(sha256, []).append(redact_url(url))
    unknown = sorted(set(urls) - set(dataset.input_sha256s))
    if unknown:
        logger.warning("report: sources %s are not inputs of dataset %s; ignored", unknown, dataset.dataset_name)
    pairs: list[tuple[str, str]] = []
    for sha256 in dataset.input_sha256s:  # each raw input once, however many URLs served it
        if sha256 not in urls:
            logger.warning("report: no source URL for input %s of %s", sha256, dataset.dataset_name)
        first, *more = urls.get(sha256, ["(source unknown)"])
        pairs.append((sha256, f"{first} (and {len(more)} more)" if more else first))
    return tuple(pairs)


def _lineage(
    dataset: DatasetManifest,
    model: ModelMetadata | None,
    figures: Sequence[ReportFigure],
    inputs: tuple[tuple[str, str], ...],
) -> tuple[LineageEntry, ...]:
    def entry(artifact: str, model_sha256: str | None) -> LineageEntry:
        return LineageEntry(artifact, dataset.dataset_name, dataset.sha256, model_sha256, inputs)

    entries = [
        entry(f"figure: {figure.title}", model.model_sha256 if model and figure.from_model else None)
        for figure in figures
    ]
    entries.append(entry("table: descriptive statistics", None))
    if model is not None:
        for metric in metric_names(model):
            entries.append(entry(f"metric: {metric}", model.model_sha256))
    return tuple(entries)


def _lineage_blocks(lineage: tuple[LineageEntry, ...], inputs: tuple[tuple[str, str], ...]) -> list[Block]:
    """One row per distinct origin (the artifacts computed from the same dataset, model and raw inputs together),
    then every raw input once with its source URL."""
    groups: dict[tuple[str, str, str | None, tuple[tuple[str, str], ...]], list[str]] = {}
    for e in lineage:
        groups.setdefault((e.dataset_name, e.dataset_sha256, e.model_sha256, e.inputs), []).append(e.artifact)
    rows = tuple(
        (
            "; ".join(artifacts),
            name,
            sha256,
            model_sha256 or "-",
            "; ".join(dict.fromkeys(raw for raw, _url in raw_inputs)),
        )
        for (name, sha256, model_sha256, raw_inputs), artifacts in groups.items()
    )
    return [
        Heading(2, "Lineage"),
        Paragraph("Every figure and metric above, with the data it was computed from."),
        Table(("artifacts", "dataset", "dataset sha256", "model sha256", "raw input sha256"), rows),
        Heading(3, "Raw inputs"),
        Paragraph("Each raw input once, with the first URL that served it (`airnub manifest show` lists them all)."),
        Table(("raw input sha256", "source URL"), inputs),
    ]


def _read_png(figure: ReportFigure) -> bytes:
    try:
        data = figure.path.read_bytes()
    except OSError as exc:
        raise StorageError(f"{figure.path}: cannot read figure: {exc.strerror or exc}") from exc
    if not data.startswith(_PNG_SIGNATURE):
        raise ConfigError(f"{figure.path}: figure '{figure.title}' is not a PNG file")
    return data


def build_report(
    out_dir: Path,
    *,
    profile: DatasetProfile,
    sources: Sequence[tuple[str, str]],
    figures: Sequence[ReportFigure] = (),
    model: ModelMetadata | None = None,
    title: str | None = None,
    provenance: ReportProvenance | None = None,
) -> Report:
    """Write ``out_dir/report.md`` and ``out_dir/report.html`` for the profiled dataset (its statistics over all
    rows, and which rows the model and figures saw) and ``model``'s evaluation.

    ``sources`` are ``(raw sha256, source URL)`` pairs from the ingestion manifests (the lineage lists each raw
    input once, with its first URL here and how many more there are); ``provenance`` adds a last
    line saying when, by which version and in which flow run the report was written. Raises
    :class:`ConfigError` when ``model`` was trained on another dataset than ``dataset``.
    """
    dataset = profile.manifest
    if model is not None and model.dataset_sha256 != dataset.sha256:
        raise ConfigError(
            f"report: model {model.model_file} was trained on dataset sha256 {model.dataset_sha256}, "
            f"not on {dataset.dataset_name} ({dataset.sha256})"
        )
    title = title or f"Analysis report: {dataset.dataset_name}"
    inputs = _inputs(dataset, sources)
    lineage = _lineage(dataset, model, figures, inputs)
    short = f"dataset {dataset.dataset_name} (sha256 {dataset.sha256})"
    blocks: list[Block] = [
        Heading(1, title),
        Paragraph(
            f"Dataset {dataset.dataset_name}, sha256 {dataset.sha256}: {dataset.rows_out} rows kept of "
            f"{dataset.rows_in} read, {dataset.rows_quarantined} quarantined; "
            f"{len(dataset.input_sha256s)} raw input(s)."
        ),
    ]
    blocks += rows_section(profile, model=model is not None)
    blocks += metric_sections(model) if model is not None else no_model_section()
    blocks += statistics_sections(profile)
    if figures:
        blocks.append(Heading(2, "Figures"))
        for figure in figures:
            blocks.append(FigureBlock(figure.title, figure.path, _read_png(figure), f"Lineage: {short}."))
    blocks += _lineage_blocks(lineage, inputs)
    if provenance is not None:
        blocks.append(Paragraph(provenance.sentence()))

    out_dir.mkdir(parents=True, exist_ok=True)
    markdown_path, html_path = out_dir / "report.md", out_dir / "report.html"
    wrote_md = atomic_write_bytes(markdown_path, to_markdown(blocks, out_dir).encode("utf-8"))
    wrote_html = atomic_write_bytes(html_path, to_html(blocks, title).encode("utf-8"))
    return Report(markdown_path, html_path, lineage, rewritten=wrote_md or wrote_html)
