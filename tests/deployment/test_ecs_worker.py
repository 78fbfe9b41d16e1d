"""The ECS variant through prefect-aws's own ECS worker code (the package is a dev dependency, for its blocks): the
template the worker creates its pool with, and the job configuration it builds for a flow run. No AWS call is made.
prefect-kubernetes is not installed for the same check: importing it takes seconds, and Prefect imports every
installed collection when a worker starts or a block class is looked up by key."""

from __future__ import annotations

import asyncio
import uuid

import jsonschema
import pytest
from prefect.client.schemas.objects import FlowRun
from prefect.settings import get_current_settings
from prefect_aws.workers.ecs_worker import ECSJobConfiguration, ECSWorker

from tests.deployment.test_cluster_pools import bundled_base_job_template, cluster_variant, strict

pytestmark = pytest.mark.prefect


def test_the_ecs_variant_suits_the_template_of_the_installed_ecs_worker() -> None:
    job_variables = cluster_variant("airnub_ecs")["job_variables"]
    template = ECSWorker.get_default_base_job_template()

    jsonschema.validate(job_variables, strict(template["variables"]))
    assert template != bundled_base_job_template("ecs")  # a second, newer template: both accept the variant
    with pytest.raises(jsonschema.ValidationError, match="'clustr' was unexpected"):
        jsonschema.validate({**job_variables, "clustr": "airnub"}, strict(template["variables"]))


def test_the_ecs_worker_builds_the_task_of_a_flow_run_from_the_variant(prefect_harness: None) -> None:
    job_variables = cluster_variant("airnub_ecs")["job_variables"]
    template = ECSWorker.get_default_base_job_template()

    configuration = asyncio.run(ECSJobConfiguration.from_template_and_values(template, job_variables))
    configuration.prepare_for_flow_run(FlowRun(flow_id=uuid.uuid4(), name="airnub-ecs-check"))

    definition, request = configuration.task_definition, configuration.task_run_request
    (container,) = definition["containerDefinitions"]
    (override,) = request["overrides"]["containerOverrides"]
    assert container["image"] == job_variables["image"]
    assert (definition["family"], definition["cpu"], definition["memory"]) == ("airnub-prefect-starter", 1024, 4096)
    assert definition["executionRoleArn"] == job_variables["execution_role_arn"]
    assert (request["cluster"], request["launchType"]) == ("airnub", "FARGATE")
    assert request["overrides"]["taskRoleArn"] == job_variables["task_role_arn"]
    assert override["environment"] == job_variables["env"]
    # what the run gets besides: the worker's API URL and the flow run's id
    assert configuration.env.items() >= job_variables["env"].items()
    assert configuration.env["PREFECT_API_URL"] == str(get_current_settings().api.url)
    assert configuration.match_latest_revision_in_family and configuration.configure_cloudwatch_logs
