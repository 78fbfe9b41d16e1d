"""The CLI reference (``docs/reference/cli.md``), rendered from the typer app's command tree.

Every command and group reachable from ``airnub`` gets a section: usage, help text, and each visible argument
and option with the help line the terminal shows (defaults and ranges included). Hidden commands and options
are left out. Importing the app imports no Prefect (commands import it when they run).
"""

from __future__ import annotations

from typing import Any

import typer
import typer.main

from airnub_prefect_starter.docs_gen.markdown import markdown_text

__all__ = ["render_cli_reference"]

GENERATED_NOTICE = (
    "<!-- Generated from the typer app by `python -m airnub_prefect_starter.docs_gen` (`make docs`). "
    "Do not edit: a test compares this file with fresh output. -->"
)


def _paragraphs(help_text: str | None) -> list[str]:
    """Help text as Markdown paragraphs (click's ``\\b`` markers dropped, wrapped lines joined)."""
    text = (help_text or "").replace("\b", "").strip()
    paragraphs = [" ".join(line.strip() for line in block.splitlines() if line.strip()) for block in text.split("\n\n")]
    return [markdown_text(paragraph) for paragraph in paragraphs if paragraph]


def _anchor(path: list[str]) -> str:
    return "-".join(path)


def _commands(command: Any, ctx: typer.Context) -> list[tuple[str, Any]]:
    names = command.list_commands(ctx) if hasattr(command, "list_commands") else []
    found = [(name, command.get_command(ctx, name)) for name in names]
    return [(name, sub) for name, sub in found if sub is not None and not getattr(sub, "hidden", False)]


def _section(command: Any, path: list[str], parent: typer.Context | None) -> list[str]:
    ctx = typer.Context(command, info_name=path[-1], parent=parent)
    title = " ".join(path)
    usage = " ".join([title, *command.collect_usage_pieces(ctx)])
    lines = [f"## `{title}` {{#{_anchor(path)}}}", "", *[f"{p}\n" for p in _paragraphs(command.help)]]
    lines += ["```text", usage, "```", ""]
    records = [record for param in command.params if (record := param.get_help_record(ctx)) is not None]
    if records:
        lines += ["| Argument or option | Description |", "|---|---|"]
        lines += [f"| `{names}` | {markdown_text(' '.join(text.split()))} |" for names, text in records]
        lines.append("")
    subcommands = _commands(command, ctx)
    if subcommands:
        lines += ["| Command | Summary |", "|---|---|"]
        for name, sub in subcommands:
            summary = _paragraphs(sub.help)
            lines.append(f"| [`{title} {name}`](#{_anchor([*path, name])}) | {summary[0] if summary else ''} |")
        lines.append("")
    for name, sub in subcommands:
        lines += _section(sub, [*path, name], ctx)
    return lines


def render_cli_reference(app: typer.Typer, name: str = "airnub") -> str:
    """The whole Markdown page for ``app``."""
    command = typer.main.get_command(app)
    lines = [
        "# CLI reference",
        "",
        GENERATED_NOTICE,
        "",
        f"Every `{name}` command, its arguments and options, as `{name} ... --help` shows them. Global options "
        f"(such as `--data-dir`) go before the command: `{name} --data-dir /srv/data demo`. "
        "[CLI](../cli.md) explains the exit codes and common workflows.",
        "",
        *_section(command, [name], None),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
