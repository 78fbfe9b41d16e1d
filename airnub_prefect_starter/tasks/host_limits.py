"""Per-host limits held across processes, through Prefect global concurrency limits (``AIRNUB_HOST_LIMITS=prefect``).

Every worker, flow-run process and Dask process then shares, through the Prefect API, two limits per host:

- ``airnub-host-<host>``: a concurrency limit of ``per_host_limit`` slots; one is held (with a lease) while a
  request and its body are in flight, as the process-local semaphore is;
- ``airnub-rate-<host>``: when ``per_host_rate`` is set, a limit of 1 slot decaying at ``per_host_rate`` slots per
  second (Prefect's rate limit): each request start takes its slot, so starts are at least ``1 / per_host_rate``
  apart across processes.

The process's own limits still apply first (the same values), so a process's threads queue locally and only the
ones next in line ask the API. ``airnub limits setup`` creates and updates the limits from the stage configs; a
limit missing when a request needs it (a host found by scraping, say) is created from the run's policy, with a
warning, never skipped. Each slot costs API round trips (acquire and release, plus a rate-limit call): measured
in ``docs/host-limits.md``. The slots are taken straight through the client's lease endpoints rather than
``prefect.concurrency.sync.concurrency``, which also emits two events and starts a lease-renewal thread per slot
(several times the cost); the lease instead lasts ``total_deadline_s`` (no request holds a slot longer) plus a
margin, and frees the slot of a process that died holding it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.exceptions import ObjectAlreadyExists

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import ConfigError, TransientDownloadError
from airnub_prefect_starter.core.http.limits import HostLimitsFactory, ProcessHostLimits, host_of
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.rate import HostPacer

__all__ = [
    "LEASE_MARGIN_S",
    "PrefectHostLimits",
    "concurrency_limit_name",
    "host_limits_for",
    "rate_limit_name",
]

logger = logging.getLogger(__name__)

#: Seconds a slot's lease outlives the item's ``total_deadline_s`` (storing the body happens after the release).
LEASE_MARGIN_S = 60.0

#: Characters Prefect refuses in a limit's name (``prefect.types.names.BANNED_CHARACTERS``).
_BANNED = re.compile(r"[/%&><]")

Mode = Literal["concurrency", "rate_limit"]


def concurrency_limit_name(host: str) -> str:
    """The Prefect limit holding ``per_host_limit`` for ``host``: ``airnub-host-<host>``."""
    return "airnub-host-" + _BANNED.sub("-", host.lower())


def rate_limit_name(host: str) -> str:
    """The Prefect limit holding ``per_host_rate`` for ``host``: ``airnub-rate-<host>``."""
    return "airnub-rate-" + _BANNED.sub("-", host.lower())


def host_limits_for(settings: AirnubSettings) -> HostLimitsFactory:
    """The limits ``AIRNUB_HOST_LIMITS`` selects: this process's (``process``, the default) or Prefect's."""
    return PrefectHostLimits if settings.host_limits == "prefect" else ProcessHostLimits


class PrefectHostLimits:
    """``per_host_limit`` and ``per_host_rate`` of ``policy`` held across processes (see the module)."""

    def __init__(self, policy: HttpPolicy, pacer: HostPacer | None = None) -> None:
        self.policy = policy
        self._local = ProcessHostLimits(policy, pacer)
        self._lease_s = policy.total_deadline_s + LEASE_MARGIN_S

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        name = concurrency_limit_name(host_of(url))
        with self._local.slot(url):
            missing = GlobalConcurrencyLimitCreate(name=name, limit=self.policy.per_host_limit)
            lease_id = _acquire(missing, "concurrency", url, lease_s=self._lease_s)
            try:
                yield
            finally:
                if lease_id is not None:  # always, without a budget
                    _release(name, lease_id)

    def pace(self, url: str, interval_s: float, budget_s: float | None) -> float | None:
        waited = self._local.pace(url, interval_s, budget_s)
        rate = self.policy.per_host_rate
        if waited is None or not rate:
            return waited
        started = time.monotonic()
        missing = GlobalConcurrencyLimitCreate(name=rate_limit_name(host_of(url)), limit=1, slot_decay_per_second=rate)
        if _acquire(missing, "rate_limit", url, budget_s=None if budget_s is None else budget_s - waited) is None:
            return None
        return waited + time.monotonic() - started


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _acquire(
    missing: GlobalConcurrencyLimitCreate,
    mode: Mode,
    url: str,
    *,
    lease_s: float = LEASE_MARGIN_S,
    budget_s: float | None = None,
) -> UUID | None:
    """Take a slot of the limit named ``missing.name``, waiting as long as the server's Retry-After says, and
    creating the limit as ``missing`` if it does not exist: the slot's lease (a rate limit's slot has none: it
    decays) or ``None`` when the next try would come after ``budget_s``."""
    name = missing.name
    ends = None if budget_s is None else time.monotonic() + budget_s
    created = False
    with _api(name, url) as client:
        while True:
            try:
                taken, lease_id = _take(client, name, mode, lease_s)
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 423:
                    raise
                pause = float(exc.response.headers.get("Retry-After", 1))
                if ends is not None and time.monotonic() + pause > ends:
                    return None
                time.sleep(pause)
                continue
            if taken:
                return lease_id or _NO_LEASE
            if created:  # created, yet not there: refuse rather than go on unlimited
                raise ConfigError(f"AIRNUB_HOST_LIMITS: Prefect concurrency limit '{name}' could not be created")
            _create(client, missing)
            created = True


#: What :func:`_acquire` returns for a rate limit's slot, which has no lease to release.
_NO_LEASE = UUID(int=0)


def _take(client: SyncPrefectClient, name: str, mode: Mode, lease_s: float) -> tuple[bool, UUID | None]:
    """One try: whether the limit exists (its slot is then taken) and the slot's lease. A missing limit answers
    with no limits, not an error."""
    if mode == "rate_limit":
        return bool(client.increment_concurrency_slots(names=[name], slots=1, mode=mode).json()), None
    answer = client.increment_concurrency_slots_with_lease(names=[name], slots=1, mode=mode, lease_duration=lease_s)
    body = answer.json()
    return bool(body["limits"]), UUID(body["lease_id"])


def _create(client: SyncPrefectClient, limit: GlobalConcurrencyLimitCreate) -> None:
    try:
        client.create_global_concurrency_limit(limit)
    except ObjectAlreadyExists:  # another process created it meanwhile
        return
    with _warned_lock:
        first = limit.name not in _warned
        _warned.add(limit.name)
    if first:
        logger.warning(
            "Prefect concurrency limit '%s' did not exist: created it with limit %d%s from this run's http policy "
            "(`airnub limits setup` creates those of every configured host)",
            limit.name,
            limit.limit,
            f", {limit.slot_decay_per_second:g} slots/s decay" if limit.slot_decay_per_second else "",
        )


def _release(name: str, lease_id: UUID) -> None:
    """Free a slot; if the API cannot be reached, the lease frees it when it expires (the download itself went
    through, so it is not failed for this)."""
    try:
        with get_client(sync_client=True) as client:
            client.release_concurrency_slots_with_lease(lease_id=lease_id)
    except httpx.HTTPError as exc:
        logger.warning("Prefect concurrency limit '%s': slot not released (%s); its lease frees it later", name, exc)


@contextmanager
def _api(name: str, url: str) -> Iterator[SyncPrefectClient]:
    """A Prefect client (inside a task run, the run's: a new one per call costs a connection and ~80 ms of CPU);
    the API's failures as one line naming the limit: a transient download error when the API cannot be reached or
    fails (5xx), a config error when it refuses (4xx)."""
    try:
        with get_client(sync_client=True) as client:
            yield client
    except httpx.HTTPStatusError as exc:
        detail = f"Prefect concurrency limit '{name}': HTTP {exc.response.status_code} {_detail(exc.response)}"
        if exc.response.status_code >= 500:
            raise TransientDownloadError(redact_url(url), detail) from exc
        raise ConfigError(f"AIRNUB_HOST_LIMITS: {detail}") from exc
    except httpx.TransportError as exc:
        raise TransientDownloadError(
            redact_url(url), f"Prefect API unreachable for concurrency limit '{name}' ({exc})"
        ) from exc


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.reason_phrase))
    except ValueError:
        return response.reason_phrase
