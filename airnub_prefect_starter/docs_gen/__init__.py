"""Generators for the parts of the documentation that are derived from code (config models, the CLI).

``python -m airnub_prefect_starter.docs_gen`` rewrites ``docs/reference/*.md`` (``make docs`` runs it before
``mkdocs build --strict``); a test fails when the committed files differ from fresh output, so the reference
cannot drift from the models and the command tree.
"""

from __future__ import annotations

__all__ = ["REFERENCE_DIR", "reference_pages"]

#: Where the generated pages live, relative to the repository root.
REFERENCE_DIR = "docs/reference"


def reference_pages() -> dict[str, str]:
    """``{file name: Markdown}`` for every generated reference page."""
    from airnub_prefect_starter.cli.main import app
    from airnub_prefect_starter.docs_gen.cli_reference import render_cli_reference
    from airnub_prefect_starter.docs_gen.config_reference import render_config_reference
    from airnub_prefect_starter.registry.models import all_department_models

    return {"config.md": render_config_reference(all_department_models()), "cli.md": render_cli_reference(app)}
