"""Plain text made safe for the generated Markdown pages (both reference pages use it)."""

from __future__ import annotations

import html
import re

__all__ = ["markdown_text"]


def markdown_text(text: str) -> str:
    """``text`` as one line of Markdown: outside `code spans` no HTML and no emphasis; ``|`` cannot break a
    table column; newlines become spaces (a Markdown paragraph or table cell is one line of source)."""
    parts = re.split(r"(`[^`]*`)", text.replace("\n", " "))
    escaped = [
        part if part.startswith("`") else html.escape(part, quote=False).replace("*", "\\*").replace("_", "\\_")
        for part in parts
    ]
    return "".join(escaped).replace("|", "\\|")
