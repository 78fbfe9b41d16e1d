"""A large config recorded by reference: what Prefect stores of a flow's ``config`` parameter.

Prefect records every flow run's parameters as JSON, and its server refuses more than
``PREFECT_SERVER_API_MAX_PARAMETER_SIZE`` (512 KiB by default): a ``--config`` listing 6,000 files is 785 KB in
that form, and the run failed before it started. A config read from a file whose JSON form is over
:data:`RECORDED_IN_FULL_MAX_BYTES` is therefore handed to the flows as a :func:`by_reference` copy: the same model
(same fields, same class as far as ``isinstance`` and the flow's parameter check go), whose JSON form is a
:class:`ConfigReference` naming the file and its sha256. Each category flow's section is handed over the same way
(:func:`section_by_reference`). The flow code gets the whole model, Prefect stores a few hundred bytes, and
:func:`resolve_reference` turns a recorded reference back into the config (a flow run started again with the
recorded parameters reads the same file, refused if it changed since).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from airnub_prefect_starter.core.config import ConfigModel, parse_yaml, read_config_bytes
from airnub_prefect_starter.core.errors import ConfigError

__all__ = [
    "RECORDED_IN_FULL_MAX_BYTES",
    "ConfigReference",
    "by_reference",
    "file_reference",
    "reference_of",
    "resolve_reference",
    "section_by_reference",
]

#: A config whose JSON form is larger than this is recorded by reference (an eighth of Prefect's default limit on
#: all of a run's parameters together; smaller configs stay readable in full in the UI).
RECORDED_IN_FULL_MAX_BYTES = 64 * 1024

M = TypeVar("M", bound=BaseModel)


class ConfigReference(ConfigModel):
    """Where a flow run's config (or one category's ``section`` of it) was read from."""

    config_file: str
    sha256: str
    section: str | None = None


def file_reference(path: Path, data: bytes) -> ConfigReference:
    """A reference to the config file at ``path`` whose bytes (the ones parsed) are ``data``."""
    return ConfigReference(config_file=str(path.resolve()), sha256=hashlib.sha256(data).hexdigest())


def by_reference(model: M, reference: ConfigReference) -> M:
    """``model`` recorded as ``reference`` when its JSON form is over :data:`RECORDED_IN_FULL_MAX_BYTES`; else
    ``model`` itself."""
    if len(model.model_dump_json()) <= RECORDED_IN_FULL_MAX_BYTES:
        return model
    plain = type(model)
    copy: M = _referenced_class(plain).model_construct(
        _fields_set=model.model_fields_set, **{name: getattr(model, name) for name in plain.model_fields}
    )
    copy._reference = reference  # type: ignore[attr-defined]  # a private attribute of the referenced class
    return copy


def reference_of(model: BaseModel) -> ConfigReference | None:
    """The reference ``model`` is recorded as, if it is a :func:`by_reference` copy."""
    reference = getattr(model, "_reference", None)
    return reference if isinstance(reference, ConfigReference) else None


def section_by_reference(stage_config: BaseModel, section: M, name: str) -> M:
    """``section`` (the ``name`` section of ``stage_config``) recorded as a reference to the same file as
    ``stage_config`` when that is recorded by reference and the section is large; else ``section``."""
    reference = reference_of(stage_config)
    if reference is None:
        return section
    return by_reference(section, reference.model_copy(update={"section": name}))


def resolve_reference(data: Any) -> Any | None:
    """The config mapping a recorded :class:`ConfigReference` names (``data`` in its JSON form); ``None`` when
    ``data`` is not a reference. The file must hold what it held when the run started."""
    if not isinstance(data, dict) or "config_file" not in data:
        return None
    try:
        reference = ConfigReference.model_validate(data)
    except ValidationError:
        return None
    if reference.section is not None:
        raise ConfigError(f"{reference.config_file}: a category's section is not a stage config")
    path = Path(reference.config_file)
    data = read_config_bytes(path)  # hashed and parsed: the same bytes
    if hashlib.sha256(data).hexdigest() != reference.sha256:
        raise ConfigError(f"{path}: changed since this run was started with it (sha256 {reference.sha256[:12]}...)")
    return parse_yaml(data, path)


@functools.cache
def _referenced_class(plain: type[M]) -> type[M]:
    """``plain`` with a JSON form that is its instance's reference (when it has one)."""

    def as_reference(self: Any, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        if info.mode_is_json() and self._reference is not None:
            return self._reference.model_dump(mode="json", exclude_none=True)
        return handler(self)

    def reduce(self: Any) -> tuple[Any, ...]:  # pickled as the plain model: the reference stays in this process
        return _plain_copy, (plain, self.__dict__, self.model_fields_set)

    namespace = {
        "__module__": plain.__module__,
        "__qualname__": plain.__qualname__,
        "__doc__": plain.__doc__,
        "__reduce__": reduce,
        "_reference": PrivateAttr(default=None),
        "_as_reference": model_serializer(mode="wrap")(as_reference),
    }
    return type(plain.__name__, (plain,), namespace)


def _plain_copy(plain: type[M], fields: dict[str, Any], fields_set: set[str]) -> M:
    return plain.model_construct(_fields_set=fields_set, **fields)
