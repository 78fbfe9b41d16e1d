"""One measured fix to Prefect's flow engine, installed explicitly by the entry points.

Prefect 3.9's sync flow engine joins the flow-run heartbeat thread when a flow run exits, and that thread
sleeps in whole seconds, so every flow run (every category sub-flow too) ends 0-1 s late: measured here, a
sub-flow whose body takes 0.1 s returned after about 1 s. The async engine already runs the same heartbeat
thread without joining it (``join_on_exit=False``): the thread sees the stop flag at its next tick and ends
without sending anything more. :func:`install` makes the sync engine do the same. Heartbeats are unchanged.

Entry points call :func:`install`: the CLI (``airnub``) before it runs a flow, and every parent stage flow module
(what a deployment imports) at import. Importing ``tasks`` alone changes nothing.

The fix applies only where ``prefect.flow_engine._send_heartbeats`` exists with a ``join_on_exit`` parameter;
on any other Prefect it does nothing (and ``tests/tasks/test_prefect_compat.py`` says so).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import prefect.flow_engine

__all__ = ["heartbeat_join_skipped", "install", "uninstall"]

_PATCHED = "_airnub_heartbeat_without_join"


def heartbeat_join_skipped() -> bool:
    """Whether the flow engine currently ends flow runs without waiting for the heartbeat thread."""
    return bool(getattr(prefect.flow_engine._send_heartbeats, _PATCHED, False))  # noqa: SLF001


def install() -> bool:
    """Apply the fix if this Prefect has the hook it needs; idempotent. Returns whether it is in place."""
    original: Callable[..., AbstractContextManager[None]] | None = getattr(
        prefect.flow_engine, "_send_heartbeats", None
    )
    if original is None or getattr(original, _PATCHED, False):
        return original is not None
    if "join_on_exit" not in inspect.signature(original).parameters:
        return False

    def send_heartbeats_without_join(engine: Any, join_on_exit: bool = True) -> AbstractContextManager[None]:
        return original(engine, join_on_exit=False)

    setattr(send_heartbeats_without_join, _PATCHED, True)
    send_heartbeats_without_join.original = original  # type: ignore[attr-defined]  # for uninstall()
    prefect.flow_engine._send_heartbeats = send_heartbeats_without_join  # type: ignore[assignment]  # noqa: SLF001
    return True


def uninstall() -> None:
    """Put Prefect's own heartbeat back (a test compares both in one run); idempotent."""
    current = getattr(prefect.flow_engine, "_send_heartbeats", None)
    original = getattr(current, "original", None)
    if getattr(current, _PATCHED, False) and original is not None:
        prefect.flow_engine._send_heartbeats = original  # noqa: SLF001
