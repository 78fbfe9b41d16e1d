"""``python -m airnub_prefect_starter.docs_gen [--out DIR] [--check]``: write (or check) the generated pages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from airnub_prefect_starter.docs_gen import REFERENCE_DIR, reference_pages

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airnub_prefect_starter.docs_gen", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(REFERENCE_DIR), help=f"default: {REFERENCE_DIR}")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a page is out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, text in reference_pages().items():
        path: Path = args.out / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "wrote"
    for path in stale:
        sys.stderr.write(f"{verb}: {path}\n")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
