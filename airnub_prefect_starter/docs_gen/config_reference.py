"""The configuration reference (``docs/reference/config.md``), rendered from the pydantic models.

Every department's stage models (``flows/dept_<id>/config_models_dept_<id>.py``, see
:func:`~airnub_prefect_starter.registry.models.all_department_models`) are walked recursively (nested models,
lists, mappings, optional values), plus the department mapping and the ``AIRNUB_*`` settings; a model two
departments share is documented once. Each model gets one table: key, type, default, constraints (from its
JSON Schema) and the field's description. :func:`undocumented_fields` lists every field without a description;
a test keeps it empty.

Pure: imports no Prefect, reads no files (the caller passes the departments' models).
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from airnub_prefect_starter.common.sealed import Sealed
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.departments import DepartmentMapping
from airnub_prefect_starter.core.http.policy import HttpOverrides, HttpPolicy
from airnub_prefect_starter.docs_gen.markdown import markdown_text
from airnub_prefect_starter.registry.schemas import MAPPING_SCHEMA_FILE, stage_schema_file

DepartmentModels = Mapping[str, Mapping[str, type[BaseModel]]]

__all__ = [
    "ConfigDocument",
    "DepartmentModels",
    "all_config_models",
    "config_documents",
    "render_config_reference",
    "undocumented_fields",
    "walk_models",
]

GENERATED_NOTICE = (
    "<!-- Generated from the pydantic models by `python -m airnub_prefect_starter.docs_gen` (`make docs`). "
    "Do not edit: a test compares this file with fresh output. -->"
)

#: Models whose unset keys fall back to another model's defaults: (model with the defaults, note for readers).
_DEFAULTS_FROM: dict[type[BaseModel], tuple[type[BaseModel], str]] = {
    HttpOverrides: (
        HttpPolicy,
        "Every key is optional. An unset key in a category's `http:` falls back to the stage's `http:`, then to "
        "the built-in default shown in the Default column.",
    ),
}
_FORMATS = {"uri": "http(s) URL", "regex": "regular expression"}
_ONE = {("minLength", 1): "not empty", ("minItems", 1): "at least one item"}


@dataclass(frozen=True)
class ConfigDocument:
    """One kind of configuration file and the model that validates it."""

    title: str
    anchor: str
    model: type[BaseModel]
    path: str
    variable: str | None
    schema: str | None
    intro: str


def config_documents(departments: DepartmentModels) -> list[ConfigDocument]:
    """Each department's stage configs (departments by id, stages in registry order), then the department
    mapping."""
    documents = [
        ConfigDocument(
            title=f"`dept_{dept}`: stage `{stage}`",
            anchor=f"dept-{dept}-{stage}".replace("_", "-"),
            model=model,
            path=f"configs/variables/dept_{dept}/{stage}_config_dept_{dept}.yaml",
            variable=f"dept_{dept}_{stage}_config",
            schema=f"configs/schemas/{stage_schema_file(stage, dept)}",
            intro=(
                f"`airnub variables sync` stores the file as the Prefect Variable `dept_{dept}_{stage}_config`; the "
                f"{stage} flow validates it again when it starts. `airnub run {dept} {stage} --config FILE` uses a "
                f"file directly. The model lives in `flows/dept_{dept}/config_models_dept_{dept}.py`."
            ),
        )
        for dept, stage_models in sorted(departments.items())
        for stage, model in stage_models.items()
    ]
    documents.append(
        ConfigDocument(
            title="Department mapping",
            anchor="department-mapping",
            model=DepartmentMapping,
            path="configs/department_mapping.yaml",
            variable=None,
            schema=f"configs/schemas/{MAPPING_SCHEMA_FILE}",
            intro="Read from the config dir by the flows and the CLI; a department missing here is shown by its id.",
        )
    )
    return documents


# --- walking the models -------------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> Iterator[Any]:
    """Every type mentioned by ``annotation`` (through Annotated, unions, lists, tuples and mappings)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _unwrap(get_args(annotation)[0])
    elif origin is not None:
        for arg in get_args(annotation):
            if arg is not Ellipsis:
                yield from _unwrap(arg)
    else:
        yield annotation


def _nested_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for field in model.model_fields.values():
        for found in _unwrap(field.annotation):
            if isinstance(found, type) and issubclass(found, BaseModel):
                yield found


def walk_models(roots: Iterable[type[BaseModel]]) -> list[type[BaseModel]]:
    """``roots`` and every model reachable from their fields, each once, depth first in field order."""
    seen: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for nested in _nested_models(model):
            visit(nested)

    for root in roots:
        visit(root)
    return seen


def all_config_models(departments: DepartmentModels) -> list[type[BaseModel]]:
    """Every model the reference documents, settings included."""
    roots = [document.model for document in config_documents(departments)]
    return [*walk_models(roots), AirnubSettings]


def undocumented_fields(models: Iterable[type[BaseModel]]) -> list[str]:
    """``Model.field`` for every field without a description (and ``Model`` for a model without a docstring),
    recursively through nested models."""
    problems: list[str] = []
    for model in walk_models(models):
        if not (model.__doc__ or "").strip():
            problems.append(f"{model.__name__} (class docstring)")
        problems += [
            f"{model.__name__}.{name}"
            for name, field in model.model_fields.items()
            if not (field.description or "").strip()
        ]
    return problems


# --- rendering ----------------------------------------------------------------------------------------------


def _department_of(model: type[BaseModel]) -> str | None:
    """``<id>`` for a model defined in a department's own package (``flows.dept_<id>...``), else ``None``."""
    parts = model.__module__.split(".")
    return parts[1].removeprefix("dept_") if parts[0] == "flows" and len(parts) > 1 else None


def _anchor(model: type[BaseModel]) -> str:
    department = _department_of(model)
    name = model.__name__.lower()
    return f"dept-{department.replace('_', '-')}-{name}" if department else name


def _heading(model: type[BaseModel]) -> str:
    department = _department_of(model)
    return f"{model.__name__} (`dept_{department}`)" if department else model.__name__


def _docstring(model: type[BaseModel]) -> str:
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", inspect.cleandoc(model.__doc__ or ""))  # :class:`X` -> `X`
    return "\n\n".join(markdown_text(paragraph) for paragraph in text.replace("``", "`").split("\n\n"))


def _type(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type(args[0])
    if origin in (Union, types.UnionType):
        return " or ".join(_type(arg) for arg in args)
    if origin is Literal:
        return " or ".join(f"`{json.dumps(arg.value if isinstance(arg, enum.Enum) else arg)}`" for arg in args)
    if origin in (list, tuple, set, frozenset, Sealed):  # a sealed item list is a list in the config
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{_anchor(annotation)})"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " or ".join(f"`{json.dumps(member.value)}`" for member in annotation)
    if annotation is Path:
        return "path"
    return getattr(annotation, "__name__", str(annotation))


def _scalar(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | frozenset | set):
        value = list(value)
    return json.dumps(value)


def _default(field: FieldInfo, fallback: FieldInfo | None) -> str:
    source = fallback if fallback is not None else field
    if source.is_required():
        return "required"
    value = source.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "its defaults"
    return f"`{_scalar(value)}`"


def _constraints(schema: Mapping[str, Any]) -> list[str]:
    """Readable constraints from one property of a JSON Schema (types and enums are shown elsewhere)."""
    found: list[str] = []
    for key, template in (
        ("minimum", "≥ {}"),
        ("exclusiveMinimum", "> {}"),
        ("maximum", "≤ {}"),
        ("exclusiveMaximum", "< {}"),
        ("minLength", "at least {} characters"),
        ("maxLength", "at most {} characters"),
        ("minItems", "at least {} items"),
        ("maxItems", "at most {} items"),
    ):
        if key in schema:
            found.append(_ONE.get((key, schema[key])) or template.format(schema[key]))
    if "pattern" in schema:
        found.append(f"matches `{schema['pattern']}`")
    if "format" in schema:
        found.append(_FORMATS.get(schema["format"], f"format {schema['format']}"))
    for pattern in schema.get("patternProperties", {}):
        found.append(f"keys match `{pattern}`")
    for branch in schema.get("anyOf", ()):
        found += _constraints(branch)
    if isinstance(schema.get("items"), Mapping):
        found += [f"each: {item}" for item in _constraints(schema["items"])]
    return found


def _field_rows(model: type[BaseModel]) -> list[str]:
    properties = model.model_json_schema().get("properties", {})
    fallback_model, _note = _DEFAULTS_FROM.get(model, (None, ""))
    rows = ["| Key | Type | Default | Constraints | Description |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        fallback = fallback_model.model_fields.get(name) if fallback_model is not None else None
        constraints = _constraints(properties.get(key, {}))
        rows.append(
            f"| `{key}` | {_type(field.annotation)} | {_default(field, fallback)} | "
            f"{'; '.join(constraints).replace('|', chr(92) + '|')} | {markdown_text(field.description or '')} |"
        )
    return rows


def _model_section(model: type[BaseModel]) -> list[str]:
    lines = [f"### {_heading(model)} {{#{_anchor(model)}}}", "", _docstring(model), ""]
    note = _DEFAULTS_FROM.get(model, (None, ""))[1]
    if note:
        lines += [note, ""]
    return [*lines, *_field_rows(model), ""]


def _settings_section() -> list[str]:
    prefix = str(AirnubSettings.model_config.get("env_prefix", ""))
    lines = [
        "## Environment {#environment}",
        "",
        _docstring(AirnubSettings),
        "",
        "Read from the environment, then from the `.env` file of the project root: the nearest folder at or above "
        "the working directory holding `pyproject.toml` or `configs/department_mapping.yaml` (outside a project, "
        "the working directory), so `airnub` at the root and a notebook in `notebooks/` read the same file. A "
        "relative `AIRNUB_DATA_DIR` or `AIRNUB_WORK_DIR` is under the project root. The global `--data-dir` option "
        "of `airnub` sets `AIRNUB_DATA_DIR` (a relative folder there is under the working directory).",
        "",
        "| Variable | Type | Default | Description |",
        "|---|---|---|---|",
    ]
    for name, field in AirnubSettings.model_fields.items():
        lines.append(
            f"| `{prefix}{name.upper()}` | {_type(field.annotation)} | {_default(field, None)} | "
            f"{markdown_text(field.description or '')} |"
        )
    return [*lines, ""]


def render_config_reference(departments: DepartmentModels) -> str:
    """The whole Markdown page for ``{department id: its stage models}``."""
    documents = config_documents(departments)
    lines = [
        "# Configuration reference",
        "",
        GENERATED_NOTICE,
        "",
        "Every key of every configuration file, generated from the pydantic models that validate them: each "
        "department's own stage models (`flows/dept_<id>/config_models_dept_<id>.py`), the department mapping "
        "and the environment. Models forbid unknown keys: a typo is an error naming the file and the key path. "
        "The JSON Schemas written by `airnub config schema` (one per department and stage) carry the same types, "
        "defaults and descriptions for editors. "
        "[Configuration](../configuration.md) explains how the files are used.",
        "",
        "| File | Prefect Variable | Model | JSON Schema |",
        "|---|---|---|---|",
    ]
    for document in documents:
        lines.append(
            f"| `{document.path}` | {f'`{document.variable}`' if document.variable else '-'} | "
            f"[{document.model.__name__}](#{_anchor(document.model)}) | "
            f"{f'`{document.schema}`' if document.schema else '-'} |"
        )
    lines.append(f"| environment, `.env` | - | [{AirnubSettings.__name__}](#environment) | - |")
    lines.append("")
    documented: list[type[BaseModel]] = []
    for document in documents:
        lines += [f"## {document.title} {{#{document.anchor}}}", "", f"File: `{document.path}`.", ""]
        lines += [document.intro, ""]
        for model in walk_models([document.model]):
            if model in documented:
                continue
            documented.append(model)
            lines += _model_section(model)
    lines += _settings_section()
    return "\n".join(lines).rstrip("\n") + "\n"
