"""Create the Prefect blocks the flows need (same as `airnub blocks setup`; options pass through)."""

import sys

from airnub_prefect_starter.cli.main import app

if __name__ == "__main__":
    sys.exit(app(["blocks", "setup", *sys.argv[1:]]))
