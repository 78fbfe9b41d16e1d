"""The one exception tree of airnub-prefect-starter.

::

    AirnubError
    ├── ConfigError                   a YAML/Variable/settings value is invalid (names file, key path, problem)
    ├── DownloadError                 fetching a URL failed (message names the redacted URL)
    │   ├── TransientDownloadError    worth retrying: connect error, timeout, 408/429/5xx, truncated body
    │   │   └── HostUnreachableError  the host could not be reached for its robots.txt: not retried in this run
    │   ├── PermanentDownloadError    retrying cannot help: 4xx, too large, bad response
    │   │   ├── PolicyViolationError  the URL or a redirect hop breaks the HTTP policy (scheme, private address)
    │   │   │   └── RobotsDisallowedError  the host's robots.txt disallows the URL (or could not be read: 5xx)
    │   │   └── ResponseContentError  the body is not what was promised (non-JSON API body, missing extract_key)
    │   └── DeadlineExceededError     the item's total deadline passed (request, read or retry wait): not retried
    ├── StorageError                  the content-addressed store cannot hold the object (unsafe path, I/O)
    │   └── IntegrityError            stored bytes do not match their recorded hash or size
    ├── ManifestIndexError            the manifest index cannot be read or written
    ├── RawInputNotFoundError         no stored object matches a dataset's input (ingestion not run yet?)
    ├── RawDataError                  a raw object cannot become its dataset: empty, undecodable, malformed
    │   └── SchemaMismatchError       its columns contradict the declared schema (missing, extra, type changed)
    ├── CategoryFailedError           some items of a category run failed (``outcomes``: every item's outcome)
    ├── StageFailedError              a stage run had failed items or stopped categories (``result``: all of it)
    └── DemoDataError                 the offline demo's data cannot be built (scikit-learn missing or changed)

The two run-level errors carry results but build no message themselves (``core`` knows no stage): the stage
contract (:mod:`airnub_prefect_starter.stages`) writes the one-line message and hands it over.

Every class is picklable with its constructor arguments, because Prefect persists exceptions and ships them
between processes (Dask workers, result storage).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "AirnubError",
    "CategoryFailedError",
    "ConfigError",
    "DS_EXTRA_HINT",
    "DeadlineExceededError",
    "DemoDataError",
    "DownloadError",
    "HostUnreachableError",
    "IntegrityError",
    "ManifestIndexError",
    "PermanentDownloadError",
    "PolicyViolationError",
    "RawDataError",
    "RawInputNotFoundError",
    "ResponseContentError",
    "RobotsDisallowedError",
    "SchemaMismatchError",
    "StageFailedError",
    "StorageError",
    "TransientDownloadError",
]


#: The end of every message about a missing data-science package (pandas, pyarrow, scikit-learn, matplotlib).
DS_EXTRA_HINT = "install the 'ds' extra: pip install 'airnub-prefect-starter[ds]'"


class AirnubError(Exception):
    """Base of every error this package raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep custom __init__ signatures picklable: rebuild without calling __init__, then restore state.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[AirnubError], args: tuple[Any, ...], state: dict[str, Any]) -> AirnubError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigError(AirnubError):
    """A configuration value is invalid; the message reads ``<file>: <key.path>: <problem>``."""


class DownloadError(AirnubError):
    """Fetching ``url`` failed. ``url`` is already redacted (no query secrets, no credentials)."""

    def __init__(self, url: str, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.retry_after_s = retry_after_s


class TransientDownloadError(DownloadError):
    """A failure that may succeed on retry (connect error, timeout, 408/429/5xx, truncated body)."""


class HostUnreachableError(TransientDownloadError):
    """The URL's host could not be reached (connection refused, DNS failure, connect timeout) when its robots.txt
    was asked, retries spent: every URL of that host fails at once with this cause for the rest of the run, and is
    not retried again in it (the next run tries again)."""


class PermanentDownloadError(DownloadError):
    """A failure that a retry cannot fix (4xx other than 408/429, too large, policy)."""


class DeadlineExceededError(DownloadError):
    """The item's ``total_deadline_s`` passed (during a request, a read or a retry wait); it is not retried."""


class PolicyViolationError(PermanentDownloadError):
    """The URL or one of its redirect hops breaks the HTTP policy."""


class RobotsDisallowedError(PolicyViolationError):
    """The host's robots.txt disallows the URL for our user agent, or it could not be read (5xx, unreachable),
    which RFC 9309 says to treat as disallowing the whole host. ``url`` is the URL refused (a redirect hop's
    URL when the hop was refused)."""


class ResponseContentError(PermanentDownloadError):
    """The response body is not what the source promised (e.g. not JSON, or the extract key is missing)."""


class StorageError(AirnubError):
    """The content-addressed store cannot place or read an object."""


class IntegrityError(StorageError):
    """Stored bytes do not match the hash or size recorded for them."""


class ManifestIndexError(AirnubError):
    """The manifest index cannot be opened, migrated, read or written."""


class RawInputNotFoundError(AirnubError):
    """No current object in the manifest index matches a dataset's input selector (ingestion not run yet?)."""

    def __init__(self, selector: str, available: Iterable[str]) -> None:
        shown = sorted(set(available))
        listing = ", ".join(shown[:10]) + (f" (+{len(shown) - 10} more)" if len(shown) > 10 else "")
        super().__init__(
            f"no raw object in the manifest index matches {selector}"
            + (f"; current objects there: {listing}" if shown else "; the data source has no objects (run ingestion)")
        )
        self.selector = selector


class RawDataError(AirnubError):
    """A raw object cannot become its dataset as a whole (empty, another encoding, malformed, no rows); the message
    names the dataset and the object. A problem with one row is not an error: the row goes to quarantine."""


class SchemaMismatchError(RawDataError):
    """A raw object's columns contradict the declared schema: a declared column is missing, an undeclared one is
    refused, or no value of a column has the declared type; the message names the dataset, object and column."""


class CategoryFailedError(AirnubError):
    """Some items of a category run failed; ``outcomes`` holds every item's outcome, failed or not. A category
    flow raises it so that it ends Failed while its stage still gets every outcome."""

    def __init__(self, message: str, outcomes: Sequence[Any]) -> None:
        super().__init__(message)
        self.outcomes = list(outcomes)


class StageFailedError(AirnubError):
    """A stage run had failed items or categories that stopped; ``result`` (a ``StageResult``) has all of it."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


class DemoDataError(AirnubError):
    """The demo data cannot be built: scikit-learn (the ``ds`` extra) is missing or its data files changed."""
