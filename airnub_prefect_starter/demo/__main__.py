"""``python -m airnub_prefect_starter.demo [--port N] [--verbose]``: serve the offline demo source until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence

from airnub_prefect_starter.core.errors import ConfigError, DemoDataError
from airnub_prefect_starter.demo.catalog import DATASETS_API_PATH, INDEX_PAGE_PATH
from airnub_prefect_starter.demo.server import DEFAULT_DEMO_PORT, DEMO_PORT_ENV, DemoSource, demo_port_from_env

__all__ = ["main"]

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airnub_prefect_starter.demo",
        description="Serve the offline demo datasets, JSON API and pages on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default: ${DEMO_PORT_ENV} or {DEFAULT_DEMO_PORT}; 0 picks any free port)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server in the foreground; returns the exit code (0 after Ctrl-C, 1 if it cannot start)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    try:
        port = args.port if args.port is not None else demo_port_from_env()
        with DemoSource(port=port) as source:
            logger.info(
                "Demo source listening on %s (pages: %s, API: %s). Press Ctrl-C to stop.",
                source.base_url,
                source.url(INDEX_PAGE_PATH),
                source.url(DATASETS_API_PATH),
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        logger.info("Demo source stopped.")
        return 0
    except (ConfigError, DemoDataError, OSError, ValueError) as exc:
        parser.exit(1, f"error: {exc}\n")


if __name__ == "__main__":
    raise SystemExit(main())
