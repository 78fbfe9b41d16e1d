"""A typer group whose commands are imported when they are used (the idea of Prefect's ``LazyTyperGroup``):
``airnub run`` imports the run command's module and what it needs, not the generators, the docs generator or the
demo. ``airnub --help`` (and the generated CLI reference) list every command, which imports them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click
import typer
import typer.core
import typer.main

__all__ = ["LazyGroup", "lazy_group"]


def _load(name: str, target: str) -> click.Command:
    """The click command of ``module:attribute``: a typer app (a command group) or a command function."""
    module_name, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        command: click.Command = typer.main.get_group(found)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(typer.core.TyperGroup):
    """Commands named in :attr:`lazy_commands` (``{name: "module:attribute"}``, in help order) are imported the
    first time click asks for them."""

    lazy_commands: Mapping[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy_commands if name not in eager)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            command = _load(cmd_name, self.lazy_commands[cmd_name])
            self.add_command(command, cmd_name)
        return command


def lazy_group(commands: Mapping[str, str]) -> type[LazyGroup]:
    """A :class:`LazyGroup` class loading ``commands`` (for ``typer.Typer(cls=...)``)."""
    return type("AirnubLazyGroup", (LazyGroup,), {"lazy_commands": dict(commands)})
