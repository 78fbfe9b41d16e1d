"""Structural YAML edits (ruamel.yaml round-trip): comments, anchors, quotes and layout of the rest of the
file survive, and an edit only adds lines.

A file is edited only if loading and dumping it unchanged gives back the same text with one of the usual
indentation styles; otherwise the edit is refused rather than reformatting someone else's file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

__all__ = ["YamlDocument", "YamlEdit", "add_deployments", "add_mapping_entry", "plain"]

#: (mapping indent, sequence indent, sequence dash offset) styles tried, most common first.
_STYLES = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 4, 0))


def _represent_none(representer: Any, _value: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _new_yaml(style: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = style
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.representer.add_representer(type(None), _represent_none)
    return yaml


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def plain(node: Any) -> Any:
    """``node`` as plain dicts, lists and scalars (for comparing data regardless of comments and style)."""
    if isinstance(node, dict):
        return {str(key): plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain(value) for value in node]
    if isinstance(node, bool) or node is None:
        return node
    for scalar in (int, float, str):  # ruamel's scalar subclasses (quoted strings, formatted numbers)
        if isinstance(node, scalar):
            return scalar(node)
    return node


@dataclass
class YamlDocument:
    """A loaded YAML file that dumps back to its exact text (``faithful``) until edited."""

    yaml: YAML
    data: Any
    faithful: bool

    @classmethod
    def parse(cls, text: str, source: str) -> YamlDocument:
        """Load ``text``; ``faithful`` tells whether an unchanged dump reproduces it byte for byte."""
        for style in _STYLES:
            yaml = _new_yaml(style)
            try:
                data = yaml.load(text)
            except YAMLError as exc:
                raise ValueError(f"{source}: invalid YAML ({exc})") from None
            for node in _walk(data):
                anchor = node.yaml_anchor() if isinstance(node, CommentedBase) else None
                if anchor is not None:
                    anchor.always_dump = True  # keep anchors that nothing refers to (yet)
            document = cls(yaml, data, faithful=False)
            if document.dump() == text:
                document.faithful = True
                return document
        yaml = _new_yaml(_STYLES[0])
        return cls(yaml, yaml.load(text), faithful=False)

    def dump(self) -> str:
        stream = io.StringIO()
        self.yaml.dump(self.data, stream)
        return stream.getvalue()

    def snippet(self, text: str) -> Any:
        """Parse a rendered YAML snippet in this document's style (its comments are kept)."""
        return self.yaml.load(text)


@dataclass(frozen=True)
class YamlEdit:
    """The new text (``None``: the content is already there) or why the edit is refused."""

    text: str | None = None
    conflict: str | None = None


def add_mapping_entry(
    document: YamlDocument,
    path: tuple[str, ...],
    key: str,
    value: Any,
    describe: str,
    *,
    require_faithful: bool = True,
) -> YamlEdit:
    """Add ``key: value`` at the end of the mapping at ``path`` (created if missing). An equal entry is left
    alone; a different one is a conflict. ``require_faithful=False`` (for files the generators wrote) allows
    the round-trip to normalise the file's layout."""
    if require_faithful and not document.faithful:
        return YamlEdit(conflict=f"{describe}: a YAML round-trip would reformat the file; edit it by hand")
    parent = document.data
    if parent is None:
        document.data = parent = CommentedMap()
    for part in path:
        if not isinstance(parent, dict):
            return YamlEdit(conflict=f"{describe}: '{part}' is not inside a mapping")
        parent = parent.setdefault(part, CommentedMap())
    if not isinstance(parent, dict):
        return YamlEdit(conflict=f"{describe}: '{'.'.join(path)}' is not a mapping")
    if key in parent:
        if plain(parent[key]) == plain(value):
            return YamlEdit()
        return YamlEdit(conflict=f"{describe}: '{'.'.join((*path, key))}' exists with other content")
    if isinstance(parent, CommentedMap) and parent.fa.flow_style():
        parent.fa.set_block_style()
    parent[key] = value
    return YamlEdit(text=document.dump())


def add_deployments(
    document: YamlDocument, deployments: list[Any], describe: str, pool: Callable[[Any], Any]
) -> YamlEdit:
    """Append ``deployments`` (mappings with a ``name``) to the top-level ``deployments:`` list. ``pool``
    gets the existing list and returns the ``work_pool`` node the new ones share (an anchored node is
    written as an alias). Deployments already there with equal content are left alone."""
    if not document.faithful:
        return YamlEdit(conflict=f"{describe}: a YAML round-trip would reformat the file; edit it by hand")
    if not isinstance(document.data, dict):
        return YamlEdit(conflict=f"{describe}: not a mapping at the top level")
    existing = document.data.get("deployments")
    if existing is None:
        existing = document.data["deployments"] = CommentedSeq()
    if not isinstance(existing, list):
        return YamlEdit(conflict=f"{describe}: deployments is not a list")
    work_pool = pool(existing)
    by_name = {plain(d.get("name")): d for d in existing if isinstance(d, dict)}
    added = False
    for deployment in deployments:
        if "work_pool" in deployment:
            deployment["work_pool"] = work_pool
        current = by_name.get(deployment["name"])
        if current is None:
            existing.append(deployment)
            added = True
        elif plain(current) != plain(deployment):
            return YamlEdit(conflict=f"{describe}: deployment '{deployment['name']}' exists with other content")
    return YamlEdit(text=document.dump() if added else None)
