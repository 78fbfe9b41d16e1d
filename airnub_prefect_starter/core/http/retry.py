"""Retry a download attempt on transient errors: exponential backoff with jitter, honouring Retry-After, within
the item's deadline."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from airnub_prefect_starter.core.errors import HostUnreachableError, TransientDownloadError
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.policy import HttpPolicy

__all__ = ["backoff_delay", "retry_transient"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


def backoff_delay(attempt: int, policy: HttpPolicy, retry_after_s: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    A server's Retry-After wins (capped at ``max_retry_after_s``); otherwise ``retry_delay_s * 2**attempt``
    scaled by a random factor in [0.5, 1.5) so that parallel workers do not retry in lockstep.
    """
    if retry_after_s is not None:
        return min(max(retry_after_s, 0.0), policy.max_retry_after_s)
    return float(policy.retry_delay_s * (2**attempt) * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not crypto


def retry_transient(
    attempt: Callable[[], T],
    policy: HttpPolicy,
    *,
    deadline: Deadline | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``attempt`` until it returns, retrying :class:`TransientDownloadError` up to ``policy.retries`` times.

    Any other exception, the last transient one and a :class:`HostUnreachableError` (the host was already found
    unreachable, retries spent, for this run) propagate unchanged. With a ``deadline`` (the one the
    attempts fetch under), a wait that would end past it is not started: :class:`DeadlineExceededError` instead.
    """
    for number in range(policy.retries + 1):
        try:
            return attempt()
        except TransientDownloadError as exc:
            if number >= policy.retries or isinstance(exc, HostUnreachableError):
                raise
            delay = backoff_delay(number, policy, exc.retry_after_s)
            if deadline is not None and delay >= deadline.remaining():
                raise deadline.error(
                    exc.url, f"by the {delay:.1f}s wait before retry {number + 1}, after: {exc.reason}"
                ) from exc
            logger.warning("Retry %d/%d in %.2fs: %s", number + 1, policy.retries, delay, exc)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises
