"""The ``airnub`` command. Each command's module is imported when the command is used (``airnub run`` loads no
generator, docs or demo code), and Prefect only inside the commands that need it."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from airnub_prefect_starter import __version__
from airnub_prefect_starter.cli.lazy_group import lazy_group
from airnub_prefect_starter.cli.output import EXIT_USAGE, fail
from airnub_prefect_starter.common.project import find_project_root
from airnub_prefect_starter.common.settings import load_settings

__all__ = [
    "COMMANDS",
    "app",
    "bypass_proxy_for_loopback",
    "data_dir_option",
    "default_prefect_home",
    "settings_problem",
]

#: Every command, in help order: ``module:attribute`` of its function or its typer app (a command group).
COMMANDS = {
    "run": "airnub_prefect_starter.cli.run_cmd:run",
    "demo": "airnub_prefect_starter.cli.demo_cmd:demo",
    "variables": "airnub_prefect_starter.cli.variables_cmd:app",
    "blocks": "airnub_prefect_starter.cli.blocks_cmd:app",
    "limits": "airnub_prefect_starter.cli.limits_cmd:app",
    "config": "airnub_prefect_starter.cli.config_cmd:app",
    "manifest": "airnub_prefect_starter.cli.manifest_cmd:app",
    "new": "airnub_prefect_starter.cli.new_cmd:app",
    "schema": "airnub_prefect_starter.cli.schema_cmd:app",
    "data": "airnub_prefect_starter.cli.data_cmd:app",
}

app = typer.Typer(
    name="airnub",
    cls=lazy_group(COMMANDS),
    help="Config-driven, idempotent Prefect 3 pipelines with a content-addressed store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


#: ``scheme:`` at the start of a value: a URL (or one whose ``//`` was lost), never a relative folder.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def data_dir_option(value: str, cwd: Path) -> str:
    """``--data-dir`` as ``AIRNUB_DATA_DIR``: a relative folder names one under ``cwd``, where it was typed (the
    variable's own relative values are under the project root); a URL or an absolute path as it is."""
    if _SCHEME.match(value) or Path(value).expanduser().is_absolute():
        return value
    return str(cwd / value)


#: Profile settings about reaching a Prefect API (its URL, key, basic auth, TLS, headers): a profile holding any of
#: them is the user's way to the server, and must not be left behind with the home it lives in.
_API_SETTING_PREFIXES = ("PREFECT_API_", "PREFECT_CLIENT_", "PREFECT_CLOUD_")


def _profile_sets_api(environ: Mapping[str, str], user_home: Path) -> bool:
    """Whether the user chose a Prefect profile (``PREFECT_PROFILE``, ``PREFECT_PROFILES_PATH``) or their active
    profile holds API settings (``prefect config set PREFECT_API_URL=...``, ``PREFECT_API_KEY``,
    ``PREFECT_API_AUTH_STRING``, ``prefect cloud login``), with or without the URL: then their Prefect home stays
    theirs (the profiles live in it)."""
    if {"PREFECT_PROFILE", "PREFECT_PROFILES_PATH"} & set(environ):
        return True
    try:
        profiles = tomllib.loads((user_home / ".prefect" / "profiles.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    active = profiles.get("profiles", {}).get(profiles.get("active", "ephemeral"), {})
    return isinstance(active, dict) and any(
        str(key).startswith(_API_SETTING_PREFIXES) and value not in (None, "") for key, value in active.items()
    )


def default_prefect_home(cwd: Path, environ: Mapping[str, str], user_home: Path) -> Path | None:
    """The project's ``.prefect`` (the one `make demo` uses) when ``cwd`` is in a project checkout and the user
    chose no Prefect home or profile; else ``None`` (leave Prefect's own choice). ``PREFECT_API_URL`` alone picks
    the server, not the home: local state (results of failed runs, the local storage) still stays in the project,
    not in ``~/.prefect``. An active profile holding API settings (the URL, or only a key, basic auth or TLS
    settings used with ``PREFECT_API_URL``) keeps the user's home, where the profile lives."""
    project = find_project_root(cwd)
    if project is None or "PREFECT_HOME" in environ or _profile_sets_api(environ, user_home):
        return None
    return project / ".prefect"


#: Where no proxy can help: this machine. Prefect's local API, the demo source and loopback test servers.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def bypass_proxy_for_loopback(environ: MutableMapping[str, str]) -> None:
    """With a proxy set in ``environ``, add the loopback hosts to ``NO_PROXY`` and ``no_proxy``: the CLI's own
    local Prefect API (and any server on this machine) is never asked through a proxy, which cannot reach it."""
    if not any(environ.get(name) for name in _PROXY_VARIABLES):
        return
    for name in ("NO_PROXY", "no_proxy"):
        present = [host.strip() for host in environ.get(name, "").split(",") if host.strip()]
        missing = [host for host in LOOPBACK_HOSTS if host not in present]
        if missing:
            environ[name] = ",".join([*present, *missing])


def settings_problem(error: ValidationError) -> str:
    """One line naming each ``AIRNUB_*`` variable whose value is refused, and why."""
    problems = []
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "settings"
        problems.append(f"AIRNUB_{field.upper()}: {item['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        str | None,
        typer.Option(
            "--data-dir",
            help="Data root (CAS, index, datasets): a folder or s3://bucket/prefix; sets AIRNUB_DATA_DIR.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Offline-friendly Prefect defaults; each can be overridden from the environment."""
    if data_dir is not None:  # text, not a Path: a Path turns s3://bucket into the local folder s3:/bucket
        os.environ["AIRNUB_DATA_DIR"] = data_dir_option(data_dir, Path.cwd())
    try:  # a value no command could use is one line here, not a traceback from the first command that reads it
        ctx.obj = load_settings()  # the settings of this invocation: a command that takes them reads them once
    except ValidationError as exc:
        fail(settings_problem(exc), EXIT_USAGE)
    bypass_proxy_for_loopback(os.environ)
    # Inside a project checkout, the same Prefect home as `make demo` (unless the user chose a home or a profile, or
    # their active profile holds API settings; PREFECT_API_URL alone picks the server, not the home): a bare
    # `airnub run` then finds the Variables `make demo` set, instead of migrating a fresh ~/.prefect.
    home = default_prefect_home(Path.cwd(), os.environ, Path.home())
    if home is not None:
        os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("DO_NOT_TRACK", "1")  # Prefect's SDK telemetry: no notice, no .sdk_telemetry/ folder
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "airnub_prefect_starter")
    # The package's log lines outside a run (e.g. the demo source starting) stay on the console only.
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # A fresh PREFECT_HOME migrates the local SQLite database first (~16 s on 2 cores): above Prefect's 20 s default
    # on a busy machine, so the embedded server gets longer to come up.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
