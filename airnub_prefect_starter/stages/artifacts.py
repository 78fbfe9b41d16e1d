"""Artifact content for every stage, built as plain values (pure); ``tasks/`` publishes them to Prefect.

A stage describes what to publish as :class:`MarkdownArtifact`, :class:`TableArtifact` and :class:`LinkArtifact`
values; the helpers here (one key rule, one Markdown cell escaper, one counts table, one failures list) are
shared by all three stages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airnub_prefect_starter.stages.results import OutcomeT, StageResult

__all__ = [
    "Artifact",
    "MAX_LISTED_OUTCOMES",
    "LinkArtifact",
    "MarkdownArtifact",
    "TableArtifact",
    "artifact_key",
    "counts_by_category_markdown",
    "failures_markdown",
    "format_count",
    "format_score",
    "format_size",
    "listed_outcomes",
    "markdown_cell",
    "under_data_dir",
]


@dataclass(frozen=True)
class MarkdownArtifact:
    key: str
    markdown: str
    description: str


@dataclass(frozen=True)
class TableArtifact:
    key: str
    rows: list[dict[str, str]]
    description: str


@dataclass(frozen=True)
class LinkArtifact:
    key: str
    link: str
    link_text: str
    description: str


Artifact = MarkdownArtifact | TableArtifact | LinkArtifact


def artifact_key(*parts: str) -> str:
    """An artifact key from ``parts``: lower-case ``[a-z0-9-]``, e.g. ``project-alpha-public-api-data``."""
    key = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return key[:100] or "airnub"


def markdown_cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell or list item: pipes escaped, on one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def format_size(size: int | None) -> str:
    """``1.5 MiB``; empty for an unknown size."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def format_count(value: int | None) -> str:
    """``1,500``; empty for an unknown count."""
    return "" if value is None else f"{value:,}"


def format_score(value: float | None) -> str:
    """``0.9737``; empty for an unknown score."""
    return "" if value is None else f"{value:.4f}"


def under_data_dir(path: str, data_dir: Path | None) -> str:
    """``path`` relative to ``data_dir`` when it lies under it (people read outputs on other machines too)."""
    if data_dir is None or not path.startswith("/") or not Path(path).is_relative_to(data_dir):
        return path
    return Path(path).relative_to(data_dir).as_posix()


#: The most outcomes one artifact lists (failures first). Prefect drops an event over 1.5 MB (the artifact's
#: included), and its UI does not page a table: 20,000 rows made a 7 MB artifact. ``--json`` lists every outcome.
MAX_LISTED_OUTCOMES = 1000


def listed_outcomes(outcomes: Sequence[OutcomeT]) -> tuple[list[OutcomeT], str]:
    """At most :data:`MAX_LISTED_OUTCOMES` of ``outcomes``, failures first, each group in its order; and a note
    saying how many are left out (empty when none is)."""
    if len(outcomes) <= MAX_LISTED_OUTCOMES:
        return list(outcomes), ""
    chosen = sorted(outcomes, key=lambda o: not o.failed)[:MAX_LISTED_OUTCOMES]
    return chosen, (
        f"{MAX_LISTED_OUTCOMES:,} of {len(outcomes):,} listed (failures first); "
        "`airnub run ... --json` and `airnub manifest list` show all"
    )


def failures_markdown(result: StageResult[Any]) -> list[str]:
    """A ``## Failures`` section (failed outcomes, at most :data:`MAX_LISTED_OUTCOMES`, then every category that
    stopped), or nothing."""
    failed, left_out = listed_outcomes([o for o in result.outcomes if o.failed])
    if not failed and not result.crashed:
        return []
    return [
        "",
        "## Failures",
        "",
        *(
            f"- **{markdown_cell(o.category)} / {markdown_cell(o.name)}**: {markdown_cell(o.error or '')}"
            for o in failed
        ),
        *([f"- ... {left_out}"] if left_out else []),
        *(
            f"- **{markdown_cell(category)}** (category stopped): {markdown_cell(error)}"
            for category, error in result.crashed.items()
        ),
    ]


def counts_by_category_markdown(result: StageResult[Any]) -> str:
    """Markdown summary of one stage run: a counts table per category (a row for each that stopped), then every
    failure with its reason."""
    statuses: Sequence[str] = result.statuses
    lines = [
        f"# {result.department}: {result.stage}",
        "",
        "| category | " + " | ".join(statuses) + " | total |",
        "|---|" + "---:|" * (len(statuses) + 1),
    ]
    for category, outcomes in result.by_category.items():
        counts = result.counts(outcomes)
        lines.append(
            f"| {markdown_cell(category)} | " + " | ".join(str(counts[s]) for s in (*statuses, "total")) + " |"
        )
    lines += [
        f"| {markdown_cell(category)} | " + " | ".join("-" for _ in statuses[:-1]) + " | crashed | - |"
        for category in result.crashed
    ]
    lines += failures_markdown(result) or ["", f"All {result.stage} outcomes succeeded."]
    return "\n".join(lines) + "\n"
