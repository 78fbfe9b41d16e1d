"""Artifact content built from results (pure); the flows publish it to Prefect."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from airnub_prefect_starter.core.batch_ingest import ItemOutcome

__all__ = ["STATUSES", "artifact_key", "count_statuses", "outcome_table", "stage_summary_markdown"]

STATUSES = ("stored", "unchanged", "duplicate", "failed")


def artifact_key(*parts: str) -> str:
    """An artifact key from ``parts``: lower-case ``[a-z0-9-]``, e.g. ``project-alpha-public-api-data``."""
    key = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return key[:100] or "airnub"


def count_statuses(outcomes: Sequence[ItemOutcome]) -> dict[str, int]:
    """Counts for every status (zeros included) plus ``total``."""
    counted: Counter[str] = Counter(o.status for o in outcomes)
    return {**{status: counted.get(status, 0) for status in STATUSES}, "total": len(outcomes)}


def _size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""  # pragma: no cover


def outcome_table(outcomes: Sequence[ItemOutcome]) -> list[dict[str, str]]:
    """Rows for a table artifact: name, URL, status, sha256, size, and the path or the error."""
    return [
        {
            "name": o.name,
            "url": o.url,
            "status": o.status,
            "sha256": o.sha256 or "",
            "size": _size(o.size_bytes),
            "path or error": (o.error or "") if o.failed else (o.path or ""),
            "detail": o.detail or "",
        }
        for o in outcomes
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def stage_summary_markdown(
    department: str, stage: str, by_category: Mapping[str, Sequence[ItemOutcome]], crashed: Mapping[str, str]
) -> str:
    """Markdown summary of one stage run: a counts table per category, then every failure with its reason.

    ``crashed`` maps a category to the error that stopped it before it produced outcomes (e.g. bad config).
    """
    lines = [f"# {department}: {stage}", "", "| category | stored | unchanged | duplicate | failed | total |"]
    lines.append("|---|---:|---:|---:|---:|---:|")
    for category, outcomes in by_category.items():
        c = count_statuses(outcomes)
        lines.append(
            f"| {category} | {c['stored']} | {c['unchanged']} | {c['duplicate']} | {c['failed']} | {c['total']} |"
        )
    lines += [f"| {category} | - | - | - | crashed | - |" for category in crashed]
    failures = [o for outcomes in by_category.values() for o in outcomes if o.failed]
    if failures or crashed:
        lines += ["", "## Failures", ""]
        lines += [f"- **{_cell(o.category)} / {_cell(o.name)}**: {_cell(o.error or '')}" for o in failures]
        lines += [f"- **{_cell(category)}** (category stopped): {_cell(error)}" for category, error in crashed.items()]
    else:
        lines += ["", "All items succeeded."]
    return "\n".join(lines) + "\n"
