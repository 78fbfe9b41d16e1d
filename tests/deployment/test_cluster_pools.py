"""The Kubernetes and ECS variants of prefect.yaml, checked without a cluster (none can run here).

Their job variables are validated against the base job templates Prefect bundles for those pool types (the
templates ``prefect work-pool create --type kubernetes|ecs`` uses offline): every key must be a variable of the
template and every value of its type, so a typo fails here instead of being stored and ignored. The Helm values
and the image recipe must agree with the variants. ``test_cluster_pools_deployed.py`` deploys them to a loopback
Prefect server.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from prefect.utilities.templating import apply_values
from typer.testing import CliRunner

from airnub_prefect_starter.cli.main import app
from airnub_prefect_starter.common.settings import AirnubSettings
from tests.support.project_copy import REPO_ROOT, copy_project

PREFECT_YAML = REPO_ROOT / "prefect.yaml"
HELM_VALUES = REPO_ROOT / "deploy" / "kubernetes" / "values.yaml"
PAGE = REPO_ROOT / "docs" / "deploy-kubernetes-ecs.md"

#: variant under definitions.work_pools -> (pool name, pool type)
VARIANTS = {"airnub_kubernetes": ("airnub-kubernetes", "kubernetes"), "airnub_ecs": ("airnub-ecs", "ecs")}
#: The page's command that points every deployment at a variant (the docker variant's, generalised).
SWITCH = r"sed 's/\*airnub_process$/*{variant}/' prefect.yaml > prefect.{pool_type}.yaml"


@cache
def prefect_yaml() -> dict[str, Any]:
    loaded = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def cluster_variant(variant: str) -> dict[str, Any]:
    pool = prefect_yaml()["definitions"]["work_pools"][variant]
    assert isinstance(pool, dict)
    return pool


@cache
def bundled_base_job_template(pool_type: str) -> dict[str, Any]:
    """The default base job template Prefect ships for ``pool_type`` (found the way Prefect looks it up: by type,
    across the collections), so prefect-kubernetes and prefect-aws need not be installed."""
    import prefect.server.api.collections as collections

    metadata = Path(collections.__file__).parent / "collections_data" / "views" / "aggregate-worker-metadata.json"
    workers = [w for c in json.loads(metadata.read_text(encoding="utf-8")).values() for w in c.values()]
    (worker,) = [w for w in workers if w.get("type") == pool_type]
    template = worker["default_base_job_configuration"]
    assert isinstance(template, dict) and template["variables"]["properties"]
    return template


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``additionalProperties: false`` on every object that lists its properties and says nothing
    about others: Prefect's templates accept (and then ignore) unknown keys."""
    result = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for child in node.values():
                close(child)
        elif isinstance(node, list):
            for child in node:
                close(child)

    close(result)
    return result


def validate_job_variables(job_variables: dict[str, Any], pool_type: str) -> None:
    jsonschema.validate(job_variables, strict(bundled_base_job_template(pool_type)["variables"]))


def rendered_job(job_variables: dict[str, Any], pool_type: str) -> dict[str, Any]:
    """The job configuration a worker renders from the template: the schema's defaults, then the variables."""
    template = bundled_base_job_template(pool_type)
    defaults = {k: v["default"] for k, v in template["variables"]["properties"].items() if "default" in v}
    rendered = apply_values(template["job_configuration"], {**defaults, **job_variables})
    assert isinstance(rendered, dict)
    return rendered


# --- job variables against the bundled base job templates ------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_cluster_variant_job_variables_are_variables_of_the_bundled_template(variant: str) -> None:
    name, pool_type = VARIANTS[variant]
    job_variables = cluster_variant(variant)["job_variables"]

    assert cluster_variant(variant)["name"] == name
    assert set(job_variables) <= set(bundled_base_job_template(pool_type)["variables"]["properties"])
    validate_job_variables(job_variables, pool_type)


@pytest.mark.parametrize(
    ("pool_type", "change", "message"),
    [
        ("kubernetes", {"namspace": "airnub"}, "'namspace' was unexpected"),
        ("kubernetes", {"finished_job_ttl": "1h"}, "'1h' is not of type 'integer'"),
        ("kubernetes", {"image_pull_policy": "Sometimes"}, "'Sometimes' is not one of"),
        ("kubernetes", {"env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": 60}}, "60 is not of type 'string'"),
        ("ecs", {"clustr": "airnub"}, "'clustr' was unexpected"),
        ("ecs", {"cpu": "1024"}, "'1024' is not of type 'integer'"),
        ("ecs", {"launch_type": "FARGATE_SPOTT"}, "'FARGATE_SPOTT' is not one of"),
        ("ecs", {"capacity_provider_strategy": [{"capacityProvider": "FARGATE", "wieght": 1, "base": 0}]}, "wieght"),
    ],
)
def test_a_wrong_job_variable_fails_validation(pool_type: str, change: dict[str, Any], message: str) -> None:
    variant = next(v for v, (_, t) in VARIANTS.items() if t == pool_type)
    job_variables = {**cluster_variant(variant)["job_variables"], **change}

    with pytest.raises(jsonschema.ValidationError, match=re.escape(message)):
        validate_job_variables(job_variables, pool_type)


def test_kubernetes_variables_land_in_the_job_manifest() -> None:
    job_variables = cluster_variant("airnub_kubernetes")["job_variables"]
    job = rendered_job(job_variables, "kubernetes")
    manifest = job["job_manifest"]
    (container,) = manifest["spec"]["template"]["spec"]["containers"]

    assert job["namespace"] == manifest["metadata"]["namespace"] == "airnub"
    assert container["image"] == job_variables["image"] and container["env"] == job_variables["env"]
    assert container["resources"]["requests"]["memory"] == job_variables["memory_request"]
    assert manifest["spec"]["ttlSecondsAfterFinished"] == job_variables["finished_job_ttl"]


def test_ecs_variables_land_in_the_task_definition_and_run_request() -> None:
    job_variables = cluster_variant("airnub_ecs")["job_variables"]
    job = rendered_job(job_variables, "ecs")
    (container,) = job["task_definition"]["containerDefinitions"]
    (override,) = job["task_run_request"]["overrides"]["containerOverrides"]

    assert container["image"] == job_variables["image"] and job["task_definition"]["family"] == "airnub-prefect-starter"
    assert job["task_run_request"]["cluster"] == "airnub" and job["task_run_request"]["launchType"] == "FARGATE"
    assert override["environment"] == job_variables["env"]
    assert job["task_run_request"]["overrides"]["taskRoleArn"] == job_variables["task_role_arn"]


# --- what the flow runs read ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_cluster_env_is_settings_the_flow_runs_accept(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = cluster_variant(variant)["job_variables"]["env"]
    for name in [n for n in os.environ if n.startswith("AIRNUB_")]:
        monkeypatch.delenv(name)
    fields = {k.removeprefix("AIRNUB_").lower(): v for k, v in env.items() if k.startswith("AIRNUB_")}

    assert set(fields) <= set(AirnubSettings.model_fields)  # a misspelt AIRNUB_ variable would be ignored
    settings = AirnubSettings(_env_file=None, **fields)
    assert settings.data_url is not None and settings.data_url.startswith("s3://")
    assert settings.index_url is None and settings.index_url_secret_block == "airnub-index-url"
    assert settings.storage_credentials_block == "airnub-storage-credentials"
    assert settings.resolved_data_dir == Path(env["AIRNUB_WORK_DIR"])
    assert "PREFECT_API_URL" not in env  # each run gets it (and the credential) from its worker


def test_both_cluster_variants_share_one_env_and_one_image() -> None:
    kubernetes, ecs = (cluster_variant(v)["job_variables"] for v in VARIANTS)

    assert kubernetes["env"] is ecs["env"]  # one YAML anchor
    assert kubernetes["image"] == ecs["image"]
    assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", PREFECT_YAML.read_text(encoding="utf-8"))  # no password


# --- Helm values, image recipe, page ------------------------------------------------------------------------------


def _constraint(package: str) -> str:
    text = (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(package)}==(\S+)$", text, flags=re.M)
    assert match, package
    return match.group(1)


def test_helm_values_start_a_kubernetes_worker_on_the_kubernetes_pool() -> None:
    values = yaml.safe_load(HELM_VALUES.read_text(encoding="utf-8"))["worker"]

    assert (values["config"]["type"], values["config"]["workPool"]) == ("kubernetes", "airnub-kubernetes")
    assert values["image"]["prefectTag"].startswith(f"{_constraint('prefect')}-")
    assert values["image"]["prefectTag"].endswith("-kubernetes")
    server = values["selfHostedServerApiConfig"]
    assert values["apiConfig"] == "selfHostedServer" and server["apiUrl"].endswith("/api")
    assert server["basicAuth"] == {"enabled": True, "existingSecret": "prefect-api-auth"}  # never the string itself


def test_the_page_installs_the_chart_in_the_namespace_of_the_jobs() -> None:
    namespace = cluster_variant("airnub_kubernetes")["job_variables"]["namespace"]
    page = PAGE.read_text(encoding="utf-8")

    assert f"--namespace {namespace} -f deploy/kubernetes/values.yaml" in page
    assert f"create namespace {namespace}" in page


def test_make_image_push_builds_and_pushes_the_image_of_the_variants() -> None:
    image = cluster_variant("airnub_kubernetes")["job_variables"]["image"]
    # as a user types it, not as a sub-make of `make test` (which would print "make[1]: Entering directory")
    environ = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    dry_run = subprocess.run(
        ["make", "-n", "image-push"], cwd=REPO_ROOT, env=environ, capture_output=True, text=True, check=True, timeout=60
    )

    assert dry_run.stdout.splitlines() == [
        f"docker build --platform linux/amd64 -f Dockerfile.worker -t {image} .",
        f"docker push {image}",
    ]


def switched_text(text: str, variant: str) -> str:
    """``text`` (a prefect.yaml) with every deployment on ``variant``: the page's sed command as a regex."""
    return re.sub(r"\*airnub_process$", f"*{variant}", text, flags=re.M)


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_generated_department_switches_to_the_cluster_variant_with_the_rest(variant: str, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRNUB_CONFIG_DIR", str(root / "configs"))
        command = ["new", "department", "gen_gamma", "--name", "Gen Gamma", "--project-dir", str(root)]
        result = CliRunner().invoke(app, command, catch_exceptions=False)
    assert result.exit_code == 0, result.output

    switched = yaml.safe_load(switched_text((root / "prefect.yaml").read_text(encoding="utf-8"), variant))
    names = [d["name"] for d in switched["deployments"]]
    assert {"gen_gamma-ingestion", "gen_gamma-processing", "gen_gamma-analysis"} < set(names)
    assert all(d["work_pool"] == cluster_variant(variant) for d in switched["deployments"])
