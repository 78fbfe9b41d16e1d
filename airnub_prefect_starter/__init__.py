"""airnub-prefect-starter: a Prefect 3 foundation for config-driven, idempotent data pipelines."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("airnub-prefect-starter")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
