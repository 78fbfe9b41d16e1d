"""Config primitives every stage shares: the frozen base model, URL/regex/name/storage-base field types, the
task-runner section, and the one loader that turns any problem into a :class:`ConfigError` naming the file, the
key path and the problem.

Every model is frozen with ``extra="forbid"``: a typo is an error, not a silently ignored key.
"""

from __future__ import annotations

import difflib
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, ValidationError, model_validator

from airnub_prefect_starter.common.locations import checked_location
from airnub_prefect_starter.common.utils import redact_url
from airnub_prefect_starter.core.errors import ConfigError

__all__ = [
    "ConfigModel",
    "DataSourceName",
    "DatasetName",
    "HttpUrl",
    "Regex",
    "MAX_CONFIG_BYTES",
    "StorageBase",
    "TaskRunnerConfig",
    "did_you_mean",
    "format_validation_error",
    "load_yaml_file",
    "parse_yaml",
    "read_config_bytes",
    "parse_config",
    "reject_moved_key",
]

M = TypeVar("M", bound=BaseModel)


def _http_url(value: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a valid http(s) URL: {redact_url(value)!r}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from exc
    return value


# The JSON Schema "format" lets editors (and the generated reference) show what the string must be. The JSON
# form of a config (what Prefect records of a flow's parameters) redacts credentials and secret query values.
HttpUrl = Annotated[
    str,
    AfterValidator(_http_url),
    PlainSerializer(redact_url, when_used="json"),
    Field(json_schema_extra={"format": "uri"}),
]
Regex = Annotated[str, AfterValidator(_regex), Field(json_schema_extra={"format": "regex"})]
DataSourceName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
        description="Names the source's folder in the store: letters, digits, '_', '.', '-'.",
    ),
]
DatasetName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$",
        description="Dataset name: file stem of <name>.parquet, lower-case letters, digits, '_', '.', '-'.",
    ),
]
StorageBase = Annotated[
    str,
    Field(
        min_length=1,
        description="Store root: an absolute path, a path relative to the data dir (AIRNUB_DATA_DIR), or an "
        "object-storage URL s3://bucket/prefix.",
    ),
    AfterValidator(checked_location),
]


class ConfigModel(BaseModel):
    """The one base of every config model (and of the records read back as strictly): frozen, unknown keys are
    errors, and a key may start with ``model_`` (``model_kind``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())


class TaskRunnerConfig(ConfigModel):
    """How a stage runs its tasks, and how many at once: the same section, in the same place, in every stage."""

    kind: Literal["threads", "dask"] = Field(default="threads", description="'threads' or 'dask' (prefect-dask).")
    max_concurrency: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Work in flight at once (threads), or threads per Dask worker. Default: the stage's "
        "(ingestion 8 items, processing 2 datasets, analysis 1 dataset).",
    )
    n_workers: int = Field(default=2, ge=1, le=64, description="Workers of a temporary local Dask cluster.")
    address: str | None = Field(default=None, description="Existing Dask scheduler address; local cluster if unset.")

    @model_validator(mode="after")
    def _address_needs_dask(self) -> TaskRunnerConfig:
        if self.address and self.kind != "dask":
            raise ValueError("address is only valid with kind: dask")
        return self

    def concurrency(self, stage_default: int) -> int:
        """``max_concurrency`` if set, else the stage's default."""
        return self.max_concurrency or stage_default


def reject_moved_key(data: Any, key: str, new_place: str) -> Any:
    """For a ``mode="before"`` validator: a :class:`ValueError` naming ``new_place`` when ``data`` still has a key
    that moved there (old configs fail loudly instead of being half-applied)."""
    if isinstance(data, dict) and key in data:
        raise ValueError(f"{key} has moved: set {new_place} instead")
    return data


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "<root>"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to ``name``, or nothing when none is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """Every model class in ``annotation`` (itself, or inside ``X | None``, ``list[X]``, ``dict[str, X]``...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models_in(arg)


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose fields an error at ``loc`` is about, found from the annotations alone."""
    current: Any = model
    for part in loc:
        owner = next((m for m in _models_in(current) if part in m.model_fields), None)
        if owner is not None:  # a field; otherwise a list index or a dict key: the element type stays in view
            current = owner.model_fields[str(part)].annotation
    return next(_models_in(current), None)


def format_validation_error(source: str, error: ValidationError, model: type[BaseModel] | None = None) -> str:
    """``<source>: <key.path[2].x>: <problem>`` for each error, joined with ``; `` on one line. With ``model``, an
    unknown key names the closest known one."""
    problems = []
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        loc = tuple(item["loc"])
        if item["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1]) if model is not None else None
            hint = did_you_mean(str(loc[-1]), parent.model_fields) if parent is not None and loc else ""
            message = f"unknown key{hint or ' (typo?)'}"
        problems.append(f"{source}: {_loc_to_path(loc)}: {message}")
    return "; ".join(problems)


def parse_config(model: type[M], data: Any, source: str) -> M:
    """Validate ``data`` against ``model``; raise :class:`ConfigError` naming ``source`` and key paths."""
    if data is None:
        raise ConfigError(f"{source}: <root>: the config is empty")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc, model)) from None


#: A config file larger than this is refused before it is parsed (a Variable holds at most 5000 characters anyway):
#: room for a `--config` listing 100,000 files (about 6 MB of YAML, parsed by libyaml in about 2 s).
MAX_CONFIG_BYTES = 16 * 1024 * 1024


#: libyaml's parser (with PyYAML's safe constructor) when PyYAML was built with it: six times faster on a config
#: listing 1000 files. Its messages differ from the pure-Python parser's in wording, not in the line they name.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[misc]  # a safe loader, C or Python
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                seen = key in first_line
            except TypeError:  # an unhashable key: the base class reports it
                break
            if seen:
                line = first_line[key]
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {line})", key_node.start_mark
                )
            first_line[key] = key_node.start_mark.line + 1
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def load_yaml_file(path: Path) -> Any:
    """Parse a YAML config file. Every problem is a one-line :class:`ConfigError` naming the file: unreadable,
    over :data:`MAX_CONFIG_BYTES`, not UTF-8, invalid YAML or a duplicate key (with the line)."""
    return parse_yaml(read_config_bytes(path), path)


def read_config_bytes(path: Path) -> bytes:
    """The bytes of the config file at ``path``: a :class:`ConfigError` when it is not a regular file (a FIFO
    would block the open, ``/dev/zero`` never end), is over :data:`MAX_CONFIG_BYTES`, or cannot be read."""
    try:
        found = path.stat()
        if not stat.S_ISREG(found.st_mode):
            raise ConfigError(f"{path}: not a regular file (a config is read from a file)")
        if found.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path}: {found.st_size:,} bytes, over the {MAX_CONFIG_BYTES:,}-byte limit of a config file"
            )
        with path.open("rb") as handle:  # read no more than the limit, should the file grow meanwhile
            data = handle.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: over the {MAX_CONFIG_BYTES:,}-byte limit of a config file")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    return data


def parse_yaml(data: bytes, path: Path) -> Any:
    """``data`` (read from ``path``) parsed as YAML: a one-line :class:`ConfigError` naming ``path`` when it is not
    UTF-8, not valid YAML or gives a key twice."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text (byte {exc.start}: 0x{data[exc.start]:02x})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<root>"
        problem = getattr(exc, "problem", exc)
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            problem = f"{problem}: a tab, and YAML indents with spaces only"
        raise ConfigError(f"{path}: {where}: invalid YAML ({problem})") from None
