"""Render the Jinja2 templates shipped in ``generators/templates/`` (StrictUndefined: a missing name fails)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from airnub_prefect_starter.core.errors import ConfigError

__all__ = ["MAX_LINE_CHARS", "natural_key", "render"]

#: The project's ruff line length: generated Python must fit it.
MAX_LINE_CHARS = 120


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("airnub_prefect_starter.generators", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["py_str"] = _py_str
    env.filters["yaml_str"] = _yaml_str
    return env


def _py_str(value: str) -> str:
    """A double-quoted Python string literal (as ruff format writes it)."""
    return json.dumps(value, ensure_ascii=False)


_PLAIN_YAML = re.compile(r"^[A-Za-z0-9_./%?=&+~][A-Za-z0-9_./:%?=&+~@-]*$")


def _yaml_str(value: str) -> str:
    """A YAML scalar: plain when unambiguous, else double-quoted (JSON quoting is valid YAML)."""
    if _PLAIN_YAML.fullmatch(value) and yaml.safe_load(value) == value:  # not a number, bool, null, date
        return value
    return json.dumps(value, ensure_ascii=False)


def natural_key(value: str) -> tuple[tuple[int, int], ...]:
    """Sort key matching ruff's import sorting of module paths: case-insensitive, character by character,
    except that runs of digits compare by value (``a`` < ``a2`` < ``a10`` < ``a_b``)."""
    return tuple(
        (ord("0"), int(token)) if token.isdigit() else (ord(token), 0) for token in re.findall(r"\d+|\D", value.lower())
    )


def render(template: str, **context: Any) -> str:
    """The rendered template; for ``.py`` templates, refuse output with lines longer than the project allows."""
    text = _environment().get_template(template).render(**context)
    if template.endswith(".py.j2"):
        for line in text.splitlines():
            if len(line) > MAX_LINE_CHARS and len(line.split()) > 1:  # ruff lets a single long word be
                raise ConfigError(
                    f"ids too long together: a line of {template.removesuffix('.j2')} would have {len(line)} "
                    f"characters (ruff allows {MAX_LINE_CHARS}): choose a shorter department or category id\n"
                    f"  {line.strip()}"
                )
    return text
