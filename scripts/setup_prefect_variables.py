"""Set the Prefect Variables from configs/variables/ (same as `airnub variables sync`; options pass through)."""

import sys

from airnub_prefect_starter.cli.main import app

if __name__ == "__main__":
    sys.exit(app(["variables", "sync", *sys.argv[1:]]))
