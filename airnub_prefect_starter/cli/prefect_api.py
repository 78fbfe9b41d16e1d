"""The check the commands that talk to Prefect start with: a configured Prefect API must answer.

With ``PREFECT_API_URL`` (or a profile's ``api.url``) at a server that is not running, the first Prefect client call
fails deep inside Prefect with a long traceback, after work has begun. :func:`require_prefect_api` asks the API's
``/health`` once, with Prefect's own client (its TLS, auth and header settings) and a short timeout, no retries, and
raises :class:`PrefectApiUnreachableError` in one line naming the URL and what to do. Without a configured API there
is nothing to check: the command starts a local one.
"""

from __future__ import annotations

import errno

import httpx

from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import AirnubError

__all__ = ["HEALTH_TIMEOUT_S", "PrefectApiUnreachableError", "require_prefect_api"]

#: Seconds the ``/health`` request may take (connect and answer); a server that is up answers in milliseconds.
HEALTH_TIMEOUT_S = 5.0


class PrefectApiUnreachableError(AirnubError):
    """The configured Prefect API does not answer (connection refused, unknown host, timeout); an environment
    error, reported in one line with exit code 2."""


def require_prefect_api(timeout_s: float = HEALTH_TIMEOUT_S) -> None:
    """Raise :class:`PrefectApiUnreachableError` when a Prefect API is configured and its ``/health`` gets no
    HTTP answer. Any HTTP answer (even an error status, e.g. without an API key) counts as reachable: what else is
    wrong is for the commands to report."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, get_current_settings, temporary_settings

    url = get_current_settings().api.url
    if not url:
        return
    with temporary_settings({PREFECT_CLIENT_MAX_RETRIES: 0}):
        with get_client(sync_client=True, httpx_settings={"timeout": httpx.Timeout(timeout_s)}) as client:
            problem = client.api_healthcheck()
    if isinstance(problem, httpx.TransportError):
        raise PrefectApiUnreachableError(
            f"Prefect API {redact_url(url)} does not answer ({_cause(problem, timeout_s)}): start it with "
            "`prefect server start`, or unset PREFECT_API_URL to use a local one"
        )


def _cause(error: httpx.TransportError, timeout_s: float) -> str:
    """What went wrong, in a few words: ``connection refused``, ``no answer within 5 s``, or the error itself."""
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {timeout_s:g} s"
    context = error.__context__ or error.__cause__
    while context is not None:
        if isinstance(context, ConnectionRefusedError) or getattr(context, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        context = context.__context__ or context.__cause__
    if "Connection refused" in str(error):
        return "connection refused"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
