"""The CLI reference: generated from the typer app, every visible command and option, and committed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main

from airnub_prefect_starter.cli.main import app
from airnub_prefect_starter.docs_gen import REFERENCE_DIR, reference_pages
from airnub_prefect_starter.docs_gen.__main__ import main as docs_gen_main
from airnub_prefect_starter.docs_gen.cli_reference import render_cli_reference
from tests.support.project_copy import REPO_ROOT


def _commands(
    command: Any, path: list[str], parent: typer.Context | None = None
) -> list[tuple[list[str], Any, typer.Context]]:
    ctx = typer.Context(command, info_name=path[-1], parent=parent)
    found = [(path, command, ctx)]
    for name in command.list_commands(ctx) if hasattr(command, "list_commands") else []:
        found += _commands(command.get_command(ctx, name), [*path, name], ctx)
    return found


def test_committed_cli_reference_matches_the_typer_app() -> None:
    committed = (REPO_ROOT / REFERENCE_DIR / "cli.md").read_text(encoding="utf-8")

    assert committed == render_cli_reference(app), "docs/reference/cli.md is out of date: run `make docs`"


def test_cli_reference_documents_every_command_and_option() -> None:
    page = render_cli_reference(app)
    commands = _commands(typer.main.get_command(app), ["airnub"])

    assert {"airnub run", "airnub demo", "airnub config schema", "airnub manifest verify"} <= {
        " ".join(path) for path, _, _ in commands
    }
    for path, command, ctx in commands:
        section = page[page.index(f"## `{' '.join(path)}` {{#{'-'.join(path)}}}") :]
        for param in command.params:
            record = param.get_help_record(ctx)
            if record is not None:  # None: a hidden option
                assert f"| `{record[0]}` |" in section.split("\n## ", 1)[0], f"{' '.join(path)} {param.name}"


def test_cli_reference_shows_defaults_and_leaves_out_hidden_commands_and_options() -> None:
    demo_app = typer.Typer(help="A demo tool.")

    @demo_app.command("fetch")
    def fetch(
        retries: Annotated[int, typer.Option(help="Retries per item.")] = 5,
        secret_knob: Annotated[int, typer.Option(hidden=True)] = 1,
    ) -> None:
        """Fetch everything.

        Second paragraph with a `code span` and <angle> brackets."""

    @demo_app.command("internal", hidden=True)
    def internal() -> None:
        """Not for users."""

    page = render_cli_reference(demo_app, name="tool")

    assert "| `--retries <int>` | Retries per item. [default: 5] |" in page
    assert "Second paragraph with a `code span` and &lt;angle&gt; brackets." in page
    assert "secret-knob" not in page and "internal" not in page and "Not for users" not in page


def test_docs_gen_check_reports_stale_pages_and_writes_nothing(tmp_path: Path) -> None:
    assert docs_gen_main(["--out", str(tmp_path), "--check"]) == 1
    assert list(tmp_path.iterdir()) == []

    assert docs_gen_main(["--out", str(tmp_path)]) == 0
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == reference_pages()
    assert docs_gen_main(["--out", str(tmp_path), "--check"]) == 0
