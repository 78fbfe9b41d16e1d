"""The Prefect global concurrency limits ``AIRNUB_HOST_LIMITS=prefect`` needs, planned from the stage configs.

Every category section of a stage config (a model with an ``http`` field) has an effective policy (its ``http``
over the stage's over the defaults) and the URLs its items name. Each host they reach gets
``airnub-host-<host>`` with the smallest ``per_host_limit`` of the categories reaching it and, when any of them sets
``per_host_rate``, ``airnub-rate-<host>``: one slot decaying at the smallest rate. The strictest config wins,
because the limit is one for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.exceptions import ObjectNotFound
from pydantic import BaseModel

from airnub_prefect_starter.common.sealed import Sealed
from airnub_prefect_starter.core.http.limits import host_of
from airnub_prefect_starter.core.http.policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.tasks.host_limits import concurrency_limit_name, rate_limit_name

__all__ = ["PlannedLimit", "apply_limit", "planned_limits"]

Action = Literal["created", "updated", "kept"]


@dataclass(frozen=True)
class PlannedLimit:
    """One global concurrency limit: a host's slots (``decay`` ``None``) or its rate (one slot, ``decay`` per s)."""

    name: str
    limit: int
    decay: float | None = None

    def describe(self) -> str:
        if self.decay is None:
            return f"{self.limit} at once"
        return f"{self.decay:g} requests/s"


def planned_limits(stage_configs: Iterable[BaseModel]) -> list[PlannedLimit]:
    """The limits of every host the category sections of ``stage_configs`` name, by name."""
    limits: dict[str, int] = {}
    rates: dict[str, float] = {}
    for config in stage_configs:
        stage_http = _overrides(config)
        for section in _sections(config):
            policy = HttpPolicy().merged(stage_http, _overrides(section))
            for url in set(_urls(section)):
                host = host_of(url)
                limits[host] = min(limits.get(host, policy.per_host_limit), policy.per_host_limit)
                if policy.per_host_rate:
                    rates[host] = min(rates.get(host, policy.per_host_rate), policy.per_host_rate)
    planned = [PlannedLimit(concurrency_limit_name(host), limit) for host, limit in limits.items()]
    planned += [PlannedLimit(rate_limit_name(host), 1, rate) for host, rate in rates.items()]
    return sorted(planned, key=lambda limit: limit.name)


def apply_limit(client: SyncPrefectClient, planned: PlannedLimit, *, dry_run: bool) -> Action:
    """Create ``planned``, or update the limit of that name to its values; what was (or would be) done."""
    decay = planned.decay or 0.0
    try:
        existing = client.read_global_concurrency_limit_by_name(planned.name)
    except ObjectNotFound:
        if not dry_run:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=planned.name, limit=planned.limit, slot_decay_per_second=decay)
            )
        return "created"
    if existing.limit == planned.limit and existing.slot_decay_per_second == decay:
        return "kept"
    if not dry_run:
        client.update_global_concurrency_limit(
            planned.name, GlobalConcurrencyLimitUpdate(limit=planned.limit, slot_decay_per_second=decay)
        )
    return "updated"


def _overrides(model: BaseModel) -> HttpOverrides | None:
    http = getattr(model, "http", None)
    return http if isinstance(http, HttpOverrides) else None


def _sections(config: BaseModel) -> Iterator[BaseModel]:
    """The category sections of a stage config: its fields that are models with an ``http`` field."""
    for name in type(config).model_fields:
        value = getattr(config, name)
        if isinstance(value, BaseModel) and "http" in type(value).model_fields:
            yield value


def _urls(model: BaseModel) -> Iterator[str]:
    """Every ``url`` field of the models under ``model`` (items, in lists or not): what its category fetches."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        values = value if isinstance(value, list | tuple | Sealed) else [value]  # a section's items are sealed
        for item in values:
            if isinstance(item, BaseModel):
                found = getattr(item, "url", None)
                if found is not None:
                    yield str(found)
                yield from _urls(item)
