"""Per-host limits through Prefect global concurrency limits, against the session's Prefect test server: a missing
limit is created (never skipped), the rate limit spaces starts across limiters, the API's failures are one line."""

from __future__ import annotations

import logging
import pickle
import time
import uuid
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.errors import ConfigError, TransientDownloadError
from airnub_prefect_starter.core.http.limits import ProcessHostLimits
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.rate import HostPacer
from airnub_prefect_starter.ingestion.batch import BatchRuntime
from airnub_prefect_starter.tasks.host_limits import (
    PrefectHostLimits,
    concurrency_limit_name,
    host_limits_for,
    rate_limit_name,
)
from tests.support.ports import free_port

pytestmark = pytest.mark.usefixtures("prefect_harness")

POLICY = HttpPolicy(per_host_limit=3, total_deadline_s=30)


def _host() -> str:
    """A host of this test alone: the limits live in the session's server."""
    return f"h-{uuid.uuid4().hex[:10]}.example.org"


def test_limit_names_are_per_host_in_the_characters_prefect_accepts() -> None:
    assert concurrency_limit_name("Files.Example.org") == "airnub-host-files.example.org"
    assert rate_limit_name("fe80::1%eth0") == "airnub-rate-fe80::1-eth0"


def test_the_setting_selects_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    assert host_limits_for(load_settings()) is ProcessHostLimits
    monkeypatch.setenv("AIRNUB_HOST_LIMITS", "prefect")

    assert host_limits_for(load_settings()) is PrefectHostLimits


def test_a_slot_creates_a_missing_limit_from_the_policy_and_frees_it_after(caplog: pytest.LogCaptureFixture) -> None:
    host = _host()
    limits = PrefectHostLimits(POLICY)

    with caplog.at_level(logging.WARNING, logger="airnub_prefect_starter.tasks.host_limits"):
        with limits.slot(f"https://{host}/a.csv"):
            with get_client(sync_client=True) as client:
                held = client.read_global_concurrency_limit_by_name(concurrency_limit_name(host))
        with limits.slot(f"https://{host}/b.csv"):
            pass

    assert (held.limit, held.active_slots, held.slot_decay_per_second) == (3, 1, 0.0)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(concurrency_limit_name(host)).active_slots == 0
    assert [r.getMessage() for r in caplog.records] == [
        f"Prefect concurrency limit 'airnub-host-{host}' did not exist: created it with limit 3 from this run's "
        "http policy (`airnub limits setup` creates those of every configured host)"
    ]


def test_the_rate_limit_spaces_request_starts_across_limiters() -> None:
    host = _host()
    policy = POLICY.model_copy(update={"per_host_rate": 4.0})
    # two limiters with pacers of their own: two processes, whose only shared timeline is the Prefect limit
    first, second = PrefectHostLimits(policy, HostPacer()), PrefectHostLimits(policy, HostPacer())

    starts = []
    for limits in (first, second, first, second):
        assert limits.pace(f"https://{host}/x", 0.25, budget_s=20) is not None
        starts.append(time.monotonic())

    assert min(later - earlier for earlier, later in zip(starts, starts[1:], strict=False)) >= 0.2
    with get_client(sync_client=True) as client:
        rate = client.read_global_concurrency_limit_by_name(rate_limit_name(host))
    assert (rate.limit, rate.slot_decay_per_second) == (1, 4.0)


def test_a_turn_past_the_budget_is_refused_at_once() -> None:
    host = _host()
    limits = PrefectHostLimits(POLICY.model_copy(update={"per_host_rate": 0.1}), HostPacer())  # one per 10 s
    assert limits.pace(f"https://{host}/x", 10.0, budget_s=20) is not None

    started = time.monotonic()
    assert PrefectHostLimits(limits.policy, HostPacer()).pace(f"https://{host}/y", 10.0, budget_s=1) is None
    assert time.monotonic() - started < 5  # no wait for the turn 10 s away (an API call on a busy machine: < 5 s)


def test_a_limit_refusing_every_slot_is_a_config_error_naming_it() -> None:
    host = _host()
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=concurrency_limit_name(host), limit=0))

    with (
        pytest.raises(
            ConfigError, match=rf"^AIRNUB_HOST_LIMITS: Prefect concurrency limit 'airnub-host-{host}': HTTP 422"
        ),
        PrefectHostLimits(POLICY).slot(f"https://{host}/a.csv"),
    ):
        pass


def test_an_unreachable_api_is_a_transient_error_naming_the_limit() -> None:
    host = _host()
    dead = f"http://127.0.0.1:{free_port()}/api"

    with (
        temporary_settings(updates={PREFECT_API_URL: dead, PREFECT_CLIENT_MAX_RETRIES: 0}),
        pytest.raises(
            TransientDownloadError, match=rf"Prefect API unreachable for concurrency limit 'airnub-host-{host}'"
        ),
        PrefectHostLimits(POLICY).slot(f"https://{host}/a.csv"),
    ):
        pass


def test_the_prefect_limits_travel_with_a_batch_runtime_to_another_process(tmp_path: Path) -> None:
    runtime = BatchRuntime(
        category="files",
        data_source_name="source",
        store_base=str(tmp_path),
        index_url="sqlite://",
        policy=POLICY,
        host_limits=PrefectHostLimits,
    )

    arrived = pickle.loads(pickle.dumps(runtime))  # as to a Dask worker

    assert arrived.host_limits is PrefectHostLimits
    assert isinstance(arrived.host_limits(arrived.policy), PrefectHostLimits)
