"""The Kubernetes and ECS variants deployed to a loopback Prefect server (the session's test server): both pools
created with the templates Prefect bundles, ``prefect deploy --all`` of the page's switched files, every deployment
read back as stored; and the page's ``airnub blocks setup`` line creating the two blocks the variants name, read the
way a flow run reads them. The static checks of the same files: ``test_cluster_pools.py``."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.exceptions import ObjectNotFound
from prefect.settings import get_current_settings

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.secret_refs import secret_env_var
from airnub_prefect_starter.tasks.secrets import load_secret_blocks, storage_credentials
from tests.deployment.test_cluster_pools import (
    PAGE,
    PREFECT_YAML,
    SWITCH,
    VARIANTS,
    bundled_base_job_template,
    cluster_variant,
    prefect_yaml,
    switched_text,
)
from tests.support.project_copy import REPO_ROOT, run_python

pytestmark = pytest.mark.prefect


def _switched(variant: str, directory: Path) -> Path:
    """prefect.yaml with every deployment on ``variant``, written into ``directory``."""
    pool_type = VARIANTS[variant][1]
    assert SWITCH.format(variant=variant, pool_type=pool_type) in PAGE.read_text(encoding="utf-8")
    text = switched_text(PREFECT_YAML.read_text(encoding="utf-8"), variant)
    path = directory / f"prefect.{pool_type}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_prefect_deploy_stores_the_cluster_deployments_as_written(prefect_harness: None, tmp_path: Path) -> None:
    api_url = str(get_current_settings().api.url)
    expected = {d["name"]: d for d in prefect_yaml()["deployments"]}
    with get_client(sync_client=True) as client:
        for name, pool_type in VARIANTS.values():
            template = bundled_base_job_template(pool_type)
            client.create_work_pool(WorkPoolCreate(name=name, type=pool_type, base_job_template=template), True)
            assert client.read_work_pool(name).base_job_template == template

        for variant, (pool, _) in VARIANTS.items():
            deployed = run_python(
                REPO_ROOT,
                *("-m", "prefect", "--no-prompt", "deploy", "--all"),
                *("--prefect-file", str(_switched(variant, tmp_path))),
                PREFECT_API_URL=api_url,
            )
            assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]

            found = client.read_deployments(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=list(expected)))
            )
            assert sorted(d.name for d in found) == sorted(expected)
            for stored in found:
                written = expected[stored.name]
                assert (stored.work_pool_name, stored.entrypoint) == (pool, written["entrypoint"])
                assert stored.job_variables == cluster_variant(variant)["job_variables"]
                assert stored.pull_steps == prefect_yaml()["pull"]
                assert [s.schedule.cron for s in stored.schedules] == [s["cron"] for s in written.get("schedules", [])]
                automations = client.read_resource_related_automations(f"prefect.deployment.{stored.id}")
                assert [set(a.trigger.expect) for a in automations] == [
                    set(trigger["expect"]) for trigger in written.get("triggers", [])
                ]


def test_the_documented_blocks_setup_creates_the_blocks_the_variants_name(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = cluster_variant("airnub_kubernetes")["job_variables"]["env"]
    index_block, storage_block = env["AIRNUB_INDEX_URL_SECRET_BLOCK"], env["AIRNUB_STORAGE_CREDENTIALS_BLOCK"]
    index_url = "postgresql+psycopg://airnub:pw-9f2c@db.example.com:5432/airnub"
    credentials = {"access_key_id": "AKIA-TEST-7d1e", "secret_access_key": "sk-3b8a", "region": "eu-west-1"}
    documented = {
        "AIRNUB_INDEX_URL_SECRET_BLOCK": index_block,
        "AIRNUB_STORAGE_CREDENTIALS_BLOCK": storage_block,
        secret_env_var(index_block): index_url,
        secret_env_var(storage_block): json.dumps(credentials),
    }
    page = PAGE.read_text(encoding="utf-8")
    assert all(f"{name}=" in page for name in documented)

    try:
        setup = run_python(
            REPO_ROOT,
            *("-c", "from airnub_prefect_starter.cli.main import app; app()", "blocks", "setup"),
            PREFECT_API_URL=str(get_current_settings().api.url),
            **documented,
        )
        assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
        assert re.search(rf"created +{index_block} ", setup.stdout) and re.search(
            rf"created +{storage_block} ", setup.stdout
        )

        for name in [n for n in os.environ if n.startswith("AIRNUB_")]:
            monkeypatch.delenv(name)
        settings = AirnubSettings(
            _env_file=None, index_url_secret_block=index_block, storage_credentials_block=storage_block
        )
        assert load_secret_blocks([index_block]) == {index_block: index_url}
        stored = storage_credentials(settings)
        assert stored is not None
        assert (stored.access_key_id, stored.secret_access_key, stored.region) == (
            credentials["access_key_id"],
            credentials["secret_access_key"],
            credentials["region"],
        )
    finally:  # the session's server is shared: leave no block behind
        with get_client(sync_client=True) as client:
            for name in (index_block, storage_block):
                with contextlib.suppress(ObjectNotFound):
                    client.delete_block_document(client.read_block_document_by_name(name, "secret").id)
