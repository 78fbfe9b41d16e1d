"""Render a report, given as a list of blocks, to Markdown and to self-contained, escaped HTML."""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Block", "FigureBlock", "Heading", "Paragraph", "Table", "to_html", "to_markdown"]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FigureBlock:
    title: str
    path: Path
    png: bytes
    caption: str


Block = Heading | Paragraph | Table | FigureBlock


def _md_text(text: str) -> str:
    """Plain text for Markdown: no raw HTML (``<`` and ``&`` as entities), no table breaks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _md_cell(text: str) -> str:
    return _md_text(text).replace("\\", "\\\\").replace("|", "\\|")


def to_markdown(blocks: Sequence[Block], base: Path) -> str:
    """Markdown with figures linked relative to ``base`` (the folder the file is written to)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {_md_text(block.text)}\n")
        elif isinstance(block, Paragraph):
            out.append(f"{_md_text(block.text)}\n")
        elif isinstance(block, Table):
            out.append("| " + " | ".join(map(_md_cell, block.header)) + " |")
            out.append("|" + "---|" * len(block.header))
            out.extend("| " + " | ".join(map(_md_cell, row)) + " |" for row in block.rows)
            out.append("")
        else:
            target = Path(os.path.relpath(block.path, base)).as_posix()
            if any(ch in target for ch in " ()<>"):
                target = "<" + target.replace("<", "%3C").replace(">", "%3E") + ">"
            out.append(f"![{_md_cell(block.title)}]({target})\n")
            out.append(f"_{_md_text(block.caption)}_\n")
    return "\n".join(out).rstrip("\n") + "\n"


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:0.5rem 0 1rem}td,th{border:1px solid #ccc;padding:0.2rem 0.5rem;"
    "text-align:left;font-size:0.9rem}th{background:#f3f3f3}td{font-variant-numeric:tabular-nums;"
    "overflow-wrap:anywhere}figure{margin:1rem 0}img{max-width:100%}figcaption{font-size:0.85rem;color:#555}"
)


def to_html(blocks: Sequence[Block], title: str) -> str:
    """One self-contained page: inline CSS, figures as data URIs, every text escaped."""
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        f'<head><meta charset="utf-8"><title>{esc(title)}</title><style>{_CSS}</style></head>',
        "<body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{esc(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{esc(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{esc(cell)}</th>" for cell in block.header)
            body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            uri = "data:image/png;base64," + base64.b64encode(block.png).decode("ascii")
            out.append(
                f'<figure><img src="{uri}" alt="{esc(block.title)}">'
                f"<figcaption><strong>{esc(block.title)}</strong><br>{esc(block.caption)}</figcaption></figure>"
            )
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
