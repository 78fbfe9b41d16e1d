"""A typer group whose commands are imported when they are used (the idea of Prefect's ``LazyTyperGroup``):
``airnub run`` imports the run command's module and what it needs, not the generators, the docs generator or the
demo. ``airnub --help`` (and the generated CLI reference) list every command, which imports them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import typer
import typer.core
import typer.main

__all__ = ["LazyGroup", "lazy_group"]

_Loaded = typer.core.TyperGroup | typer.core.TyperCommand


def _load(name: str, target: str) -> _Loaded:
    """The command of ``module:attribute``: a typer app (a command group) or a command function."""
    module_name, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        command: _Loaded = typer.main.get_group(found)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(found)
        loaded = typer.main.get_command(single)
        if not isinstance(loaded, typer.core.TyperCommand):
            raise TypeError(f"{target}: not a command function")
        command = loaded
    command.name = name
    return command


class LazyGroup(typer.core.TyperGroup):
    """Commands named in :attr:`lazy_commands` (``{name: "module:attribute"}``, in help order) are imported the
    first time click asks for them."""

    lazy_commands: Mapping[str, str] = {}

    def list_commands(self, ctx: Any) -> list[str]:  # click's Context, vendored by typer under a private name
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy_commands if name not in eager)]

    def get_command(self, ctx: Any, cmd_name: str) -> _Loaded | None:
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, _Loaded):  # loaded before (every command of this group is a typer one)
            return command
        if cmd_name not in self.lazy_commands:
            return None
        loaded = _load(cmd_name, self.lazy_commands[cmd_name])
        self.add_command(loaded, cmd_name)
        return loaded


def lazy_group(commands: Mapping[str, str]) -> type[LazyGroup]:
    """A :class:`LazyGroup` class loading ``commands`` (for ``typer.Typer(cls=...)``)."""
    return type("AirnubLazyGroup", (LazyGroup,), {"lazy_commands": dict(commands)})
