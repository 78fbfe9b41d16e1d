"""Politeness for one run: robots.txt asked once per host, and requests to each host paced.

:meth:`Politeness.before_request` runs before every request of an item (each redirect hop too, through
``fetch(before_request=...)``): it refuses a URL its host's robots.txt disallows
(:class:`~airnub_prefect_starter.core.errors.RobotsDisallowedError`), or a URL whose host could not be connected to
for its robots.txt (:class:`~airnub_prefect_starter.core.errors.HostUnreachableError`, the network error: at once,
for the rest of the run), then waits for the host's next request slot.
The slot interval is the larger of ``1 / http.per_host_rate`` and the robots.txt ``Crawl-delay`` for our product
token; robots.txt requests are paced too. The Crawl-delay honoured is at most 60 s, and at most
:func:`crawl_delay_cap`: a longer one would leave the items queued for the host (``per_host_limit`` of them) no
slot within their ``total_deadline_s``, and block the host entirely (a warning names the host and both values).

A run's batches may run in threads of one process: :func:`politeness_for_run` hands them one shared, thread-safe
object, so each host's robots.txt is fetched once per run and process (a Dask worker process fetches its own).
The waits themselves are the run's :class:`~airnub_prefect_starter.core.http.limits.HostLimits`: by default the
process's pacing timeline, shared by all runs like the ``per_host_limit`` slots; with limits held across processes,
``per_host_rate`` is held there too (a Crawl-delay stays per process: each reads robots.txt itself).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import HostUnreachableError, RobotsDisallowedError
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.limits import HostLimits, ProcessHostLimits
from airnub_prefect_starter.core.http.policy import HttpPolicy, origin_of
from airnub_prefect_starter.core.http.robots import RobotsRules, fetch_robots, product_token
from airnub_prefect_starter.core.http.transport import HttpTransport

__all__ = ["Politeness", "crawl_delay_cap", "politeness_for_run"]

logger = logging.getLogger(__name__)

#: Runs whose state a process keeps (a worker runs many flows over its life; old runs are forgotten first).
_MAX_RUNS = 32


class Politeness:
    """robots.txt verdicts (cached per origin) and pacing for one run under ``policy``, through ``limits`` (default:
    this process's); thread-safe."""

    def __init__(self, policy: HttpPolicy, limits: HostLimits | None = None) -> None:
        self.policy = policy
        self.agent = product_token(policy.user_agent)
        self._limits = limits or ProcessHostLimits(policy)
        self._rate_interval = 1.0 / policy.per_host_rate if policy.per_host_rate else 0.0
        self._lock = threading.Lock()
        self._rules: dict[str, RobotsRules] = {}
        self._fetch_locks: dict[str, threading.Lock] = {}
        self._crawl_delay_cap = crawl_delay_cap(policy)
        self._capped: set[str] = set()  # origins whose Crawl-delay was capped (warned once per run)

    def before_request(self, client: HttpTransport, url: str, deadline: Deadline) -> None:
        """Raise :class:`HostUnreachableError` if ``url``'s host could not be connected to for its robots.txt, and
        :class:`RobotsDisallowedError` if robots.txt refuses ``url``; else wait for the host's slot
        (raising the deadline's error at once if the slot comes after it)."""
        crawl_delay = None
        if self.policy.respect_robots_txt:
            rules = self.rules(client, url)
            if rules.cannot_connect is not None:  # the host is down, not a robots.txt decision
                raise HostUnreachableError(redact_url(url), f"cannot connect ({rules.cannot_connect})")
            if rules.unreachable is not None:
                raise RobotsDisallowedError(
                    redact_url(url),
                    f"robots.txt unreachable ({rules.unreachable}), so the host is disallowed for this run "
                    "(RFC 9309; http.respect_robots_txt: false opts out)",
                )
            if not rules.allows(url, self.agent):
                raise RobotsDisallowedError(redact_url(url), "disallowed by robots.txt")
            crawl_delay = self._honoured(url, rules.crawl_delay(self.agent))
        self._pace(url, max(self._rate_interval, crawl_delay or 0.0), deadline)

    def _honoured(self, url: str, crawl_delay: float | None) -> float | None:
        """``crawl_delay`` capped to :func:`crawl_delay_cap`, warning once per origin when it is."""
        if crawl_delay is None or crawl_delay <= self._crawl_delay_cap:
            return crawl_delay
        origin = str(origin_of(url))
        with self._lock:
            first = origin not in self._capped
            self._capped.add(origin)
        if first:
            logger.warning(
                "robots.txt of %s asks for a Crawl-delay of %g s, but http.total_deadline_s is %g s (with "
                "per_host_limit %d items waiting for the host): honouring %g s so requests can go out in time",
                origin,
                crawl_delay,
                self.policy.total_deadline_s,
                self.policy.per_host_limit,
                self._crawl_delay_cap,
            )
        return self._crawl_delay_cap

    def rules(self, client: HttpTransport, url: str) -> RobotsRules:
        """The robots.txt verdict of ``url``'s origin, fetched by the first thread to ask (the others wait)."""
        key = str(origin_of(url))
        with self._lock:
            known = self._rules.get(key)
            if known is not None:
                return known
            fetch_lock = self._fetch_locks.setdefault(key, threading.Lock())
        with fetch_lock:
            with self._lock:
                known = self._rules.get(key)
            if known is None:
                known = fetch_robots(
                    client, url, self.policy, lambda hop, deadline: self._pace(hop, self._rate_interval, deadline)
                )
                with self._lock:
                    self._rules[key] = known
        return known

    def _pace(self, url: str, interval_s: float, deadline: Deadline) -> None:
        if self._limits.pace(url, interval_s, deadline.remaining()) is None:
            raise deadline.error(redact_url(url), "before the host's next request slot (per_host_rate, Crawl-delay)")


def crawl_delay_cap(policy: HttpPolicy) -> float:
    """The longest Crawl-delay honoured under ``policy``: ``total_deadline_s / (2 * per_host_limit)``. Up to
    ``per_host_limit`` items hold a slot for the host and wait their turn, one interval apart; with this cap the
    last of them still starts its request with half of its deadline left."""
    return policy.total_deadline_s / (2 * policy.per_host_limit)


_runs: OrderedDict[tuple[str, HttpPolicy], Politeness] = OrderedDict()
_runs_lock = threading.Lock()


def politeness_for_run(run_key: str, policy: HttpPolicy, limits: HostLimits | None = None) -> Politeness:
    """The :class:`Politeness` of run ``run_key`` under ``policy`` in this process, created on first use (waiting
    through ``limits``: a run's batches all pass the same kind)."""
    with _runs_lock:
        key = (run_key, policy)
        found = _runs.get(key)
        if found is None:
            found = _runs[key] = Politeness(policy, limits)
            while len(_runs) > _MAX_RUNS:
                _runs.popitem(last=False)
        else:
            _runs.move_to_end(key)
        return found
