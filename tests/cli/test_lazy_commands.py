"""`airnub` imports a command's module when the command is used: a run loads no generator, docs or demo code, and
`airnub --help` still lists every command."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from airnub_prefect_starter.cli.main import COMMANDS, app
from tests.support.project_copy import REPO_ROOT, run_python

#: What `airnub run` must not import.
NOT_ON_THE_RUN_PATH = (
    "airnub_prefect_starter.generators",
    "airnub_prefect_starter.docs_gen",
    "airnub_prefect_starter.demo",
    "airnub_prefect_starter.cli.new_cmd",
    "airnub_prefect_starter.cli.demo_cmd",
    "jinja2",
    "ruamel",
)


def _imported_after(code: str) -> list[str]:
    """The modules of :data:`NOT_ON_THE_RUN_PATH` that ``code`` (run in a fresh interpreter) imported."""
    script = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'ruamel') or "
        f"m.startswith({NOT_ON_THE_RUN_PATH!r}))))\n"
    )
    result = run_python(REPO_ROOT, "-c", script)
    assert result.returncode == 0, result.stderr
    found: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def test_a_run_imports_no_generator_docs_or_demo_code() -> None:
    code = (
        "from airnub_prefect_starter.cli.main import app\n"
        "try:\n"  # the whole command up to the flow: options, settings, department, stage and category checked
        "    app(['run', 'project_alpha', 'ingestion', '--category', 'no_such_category'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 2, exc.code\n"
        "import airnub_prefect_starter.cli.stage_invocation\n"  # what the run goes on to import: Prefect, the flow
        "from airnub_prefect_starter.cli.stage_request import stage_module\n"
        "stage_module('project_alpha', 'ingestion')\n"
    )

    assert _imported_after(code) == []


def test_the_check_sees_a_generator_import() -> None:
    assert "airnub_prefect_starter.generators.plan" in _imported_after(
        "from airnub_prefect_starter.cli.main import app\n"
        "try:\n"
        "    app(['new', 'department', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
    )


def test_help_lists_every_command_in_order() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)

    assert result.exit_code == 0, result.output
    listed = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("│ ") and len(line.split()) > 2]
    assert [name for name in listed if name in COMMANDS] == list(COMMANDS)
