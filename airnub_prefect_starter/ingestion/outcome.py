"""What the ingestion stage did with one item (``stored``, ``unchanged``, ``duplicate`` or ``failed``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from airnub_prefect_starter.ingestion.links import ExtractedLink
from airnub_prefect_starter.stages.artifacts import format_size
from airnub_prefect_starter.stages.outcomes import Outcome

__all__ = ["ITEM_STATUSES", "ItemOutcome", "ItemStatus"]

ItemStatus = Literal["stored", "unchanged", "duplicate", "failed"]
ITEM_STATUSES: tuple[ItemStatus, ...] = ("stored", "unchanged", "duplicate", "failed")


@dataclass(frozen=True)
class ItemOutcome(Outcome):
    """What happened to one item. ``url`` is redacted; ``error`` is one line naming the URL."""

    category: str
    name: str
    url: str
    status: ItemStatus
    sha256: str | None = None
    size_bytes: int | None = None
    path: str | None = None
    error_type: str | None = None
    error: str | None = None
    transient: bool | None = None
    links: tuple[ExtractedLink, ...] = ()
    links_truncated: bool = False
    detail: str | None = None
    data_source_name: str | None = None
    #: The URL the item's body came from, after redirects (redacted); None for a failed item.
    final_url: str | None = None

    def as_summary(self) -> dict[str, Any]:
        """The ``--json`` item shape of the CLI contract. Its own, not :meth:`Outcome.as_summary`: ``url``
        stands before ``status`` here, the order ``airnub run --json`` has always printed."""
        return {
            "category": self.category,
            "name": self.name,
            "url": self.url,
            "status": self.status,
            "sha256": self.sha256,
            "path": self.path,
            "error": self.error,
        }

    def display_details(self) -> dict[str, str]:
        return {
            "sha256": (self.sha256 or "")[:12],
            "size": format_size(self.size_bytes),
            "path or error": (self.error or "") if self.failed else (self.path or ""),
        }
