"""The one exception tree of airnub-prefect-starter.

::

    AirnubError
    ├── ConfigError                   a YAML/Variable/settings value is invalid (names file, key path, problem)
    ├── DownloadError                 fetching a URL failed (message names the redacted URL)
    │   ├── TransientDownloadError    worth retrying: connect error, timeout, 408/429/5xx, truncated body
    │   └── PermanentDownloadError    retrying cannot help: 4xx, too large, bad response
    │       ├── PolicyViolationError  the URL or a redirect hop breaks the HTTP policy (scheme, private address)
    │       └── ResponseContentError  the body is not what was promised (non-JSON API body, missing extract_key)
    ├── StorageError                  the content-addressed store cannot hold the object (unsafe path, I/O)
    │   └── IntegrityError            stored bytes do not match their recorded hash or size
    └── ManifestIndexError            the manifest index cannot be read or written

Every class is picklable with its constructor arguments, because Prefect persists exceptions and ships them
between processes (Dask workers, result storage).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AirnubError",
    "ConfigError",
    "DownloadError",
    "IntegrityError",
    "ManifestIndexError",
    "PermanentDownloadError",
    "PolicyViolationError",
    "ResponseContentError",
    "StorageError",
    "TransientDownloadError",
]


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


class PermanentDownloadError(DownloadError):
    """A failure that a retry cannot fix (4xx other than 408/429, too large, policy)."""


class PolicyViolationError(PermanentDownloadError):
    """The URL or one of its redirect hops breaks the HTTP policy."""


class ResponseContentError(PermanentDownloadError):
    """The response body is not what the source promised (e.g. not JSON, or the extract key is missing)."""


class StorageError(AirnubError):
    """The content-addressed store cannot place or read an object."""


class IntegrityError(StorageError):
    """Stored bytes do not match the hash or size recorded for them."""


class ManifestIndexError(AirnubError):
    """The manifest index cannot be opened, migrated, read or written."""
