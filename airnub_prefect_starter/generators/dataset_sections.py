"""What the config sections of the later stages' generated categories declare.

* ``--kind tabular`` (processing): one dataset, named like the category, built from an ingestion category's
  objects; its format, reader options and schema inferred from the newest object stored for that input
  (:mod:`~airnub_prefect_starter.data_science.schema_inference`), found through the manifest index;
* ``--kind report`` (analysis): one processed dataset, declared in the department's processing config, with the
  target column its model predicts (a classifier for an int, str, category or bool column, a regression for a
  float one), or without a target: statistics and figures only.

Both read the department's config files as the plan sees them, and refuse with a one-line :class:`ConfigError`
naming the category, dataset or column that is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.core.errors import DS_EXTRA_HINT, ConfigError, RawInputNotFoundError
from airnub_prefect_starter.core.store.index import open_index
from airnub_prefect_starter.core.store.lineage import read_raw_input, select_raw_inputs
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.data_science.modeling.metadata import ModelTask
from airnub_prefect_starter.data_science.recipes import RawFormat, ReaderOptions
from airnub_prefect_starter.generators.naming import DepartmentNames
from airnub_prefect_starter.generators.plan import Plan
from airnub_prefect_starter.generators.yaml_edits import YamlDocument
from airnub_prefect_starter.processing.config import RawInputSelector

if TYPE_CHECKING:  # the readers need pandas and pyarrow: imported when a schema is inferred, not with the CLI
    from airnub_prefect_starter.data_science.schema_inference import InferredSchema

__all__ = ["AnalysedInput", "DatasetInput", "analysed_input", "dataset_input"]

#: A stored object up to this size, in a text format, is copied beside the generated test as its sample.
MAX_SAMPLE_BYTES = 256 * 1024
_TEXT_FORMATS = ("csv", "tsv", "json", "jsonl")


@dataclass(frozen=True)
class DatasetInput:
    """A processing dataset's input and the declaration inferred from its newest stored object."""

    selector: RawInputSelector
    sha256: str
    filename: str
    inferred: InferredSchema
    #: The object's text when it is small enough to be the generated test's sample.
    sample: str | None

    @property
    def source(self) -> str:
        return f"object {self.sha256[:12]} ({self.filename})"


def _stage_document(plan: Plan, dept: DepartmentNames, stage: str) -> Any:
    path = plan.layout.variables_dir / dept.package / dept.stage_config_file(stage)
    text = plan.current(path)
    if text is None:
        raise ConfigError(f"{plan.layout.shown(path)} not found: the stage config `airnub new department` wrote")
    return YamlDocument.parse(text, plan.layout.shown(path)).data or {}


def _item_name(category: str, section: Any, item: str | None) -> str:
    """The item of ``section`` to read: ``item``, or the only one it lists."""
    lists = [v for v in section.values() if isinstance(v, list) and all(isinstance(i, dict) for i in v)]
    names = [str(i["name"]) for listed in lists for i in listed if "name" in i]
    if item is not None:
        if item not in names:
            raise ConfigError(f"ingestion category '{category}' has no item '{item}' (items: {', '.join(names)})")
        return item
    if len(names) != 1:
        listing = ", ".join(names) or "none"
        raise ConfigError(
            f"ingestion category '{category}' has {len(names)} items ({listing}); name one: --input {category}.<item>"
        )
    return names[0]


def dataset_input(
    plan: Plan,
    dept: DepartmentNames,
    reference: str,
    fmt: RawFormat | None,
    index_url: str | None = None,
    records_key: str | None = None,
    credentials: S3Credentials | None = None,
) -> DatasetInput:
    """The input ``reference`` (``CATEGORY`` or ``CATEGORY.ITEM`` of the department's ingestion stage) names, and
    the declaration inferred from the newest object stored for it (``fmt``: the format, else from its name;
    ``records_key``: where a json object holds its records), found in the index at ``index_url`` (the CLI resolves
    it, from a Secret block if need be; default: the environment's ``AIRNUB_INDEX_URL`` or the data dir's SQLite
    file), its bytes read from object storage with ``credentials`` (default: the AWS variables)."""
    category, _, item = reference.partition(".")
    section = _stage_document(plan, dept, "ingestion").get(category)
    if not isinstance(section, dict) or "data_source_name" not in section:
        raise ConfigError(f"--input {reference}: the ingestion config of {dept.id} has no category '{category}'")
    selector = RawInputSelector(
        data_source_name=str(section["data_source_name"]), name=_item_name(category, section, item or None)
    )
    settings = load_settings()
    if index_url is None:
        try:
            index_url = settings.resolved_index_url
        except ValueError as exc:  # data dir on object storage, the URL in a Secret block the CLI did not read
            raise ConfigError(f"--input {reference}: {exc}") from None
    if index_url.startswith("sqlite:///") and not Path(index_url.removeprefix("sqlite:///")).expanduser().is_file():
        raise ConfigError(f"--input {reference}: nothing stored yet (run `airnub run {dept.id} ingestion` first)")
    try:
        [newest, *_] = select_raw_inputs(open_index(index_url, settings.index_root), selector, "latest")
    except RawInputNotFoundError as exc:
        raise ConfigError(f"--input {reference}: {exc} (run `airnub run {dept.id} ingestion` first)") from None
    where = f"object {newest.sha256[:12]} ({newest.filename})"
    data = read_raw_input(newest, credentials)
    if generate_sha256_hash(data) != newest.sha256:
        raise ConfigError(f"{where}: {newest.location} no longer hashes to its sha256 (run `airnub manifest verify`)")
    try:
        from airnub_prefect_starter.data_science.schema_inference import format_for, infer_schema
    except ImportError as exc:
        raise ConfigError(f"--input {reference}: inferring a schema needs {exc.name}: {DS_EXTRA_HINT}") from None

    chosen = fmt or format_for(newest.filename)
    inferred = infer_schema(data, chosen, ReaderOptions(records_key=records_key), where=where)
    sample = None
    if chosen in _TEXT_FORMATS and len(data) <= MAX_SAMPLE_BYTES:
        try:
            sample = data.decode("utf-8")
        except UnicodeDecodeError:
            sample = None
    return DatasetInput(selector, newest.sha256, newest.filename, inferred, sample)


@dataclass(frozen=True)
class AnalysedInput:
    """A processed dataset an analysis category reads, the processing category declaring it, and its target (with
    the model it calls for), if any."""

    dataset: str
    processing_category: str
    target: str | None
    task: ModelTask | None


def analysed_input(plan: Plan, dept: DepartmentNames, dataset: str, target: str | None) -> AnalysedInput:
    """``dataset`` as the department's processing config declares it, with ``target`` (else the schema's own
    target, else none) checked to be one of its columns that a model can predict."""
    for category, section in _stage_document(plan, dept, "processing").items():
        declared = section.get("datasets") if isinstance(section, dict) else None
        for spec in declared if isinstance(declared, list) else []:
            if isinstance(spec, dict) and spec.get("name") == dataset:
                chosen, task = _target(dataset, spec, target)
                return AnalysedInput(dataset, str(category), chosen, task)
    raise ConfigError(
        f"--dataset {dataset}: not declared in the processing config of {dept.id} (add a processing category first: "
        f"airnub new category {dept.id} processing {dataset} --kind tabular --input <ingestion category>)"
    )


def _target(dataset: str, spec: dict[str, Any], target: str | None) -> tuple[str | None, ModelTask | None]:
    """The target and its model: none without a target, a regression of a float, a classifier of the rest."""
    schema = spec.get("schema") or {}
    columns = {str(c.get("name")): str(c.get("type")) for c in schema.get("columns") or [] if isinstance(c, dict)}
    chosen = target or schema.get("target")
    if chosen is None:
        return None, None
    if chosen not in columns:
        raise ConfigError(f"dataset {dataset}: target '{chosen}' is not a column (columns: {', '.join(columns)})")
    if columns[chosen] in ("date", "datetime"):
        raise ConfigError(
            f"dataset {dataset}: target '{chosen}' is {columns[chosen]}; a report's model predicts an int, str, "
            "category or bool column (a classifier) or a float column (a regression)"
        )
    return str(chosen), "regression" if columns[chosen] == "float" else "classification"
