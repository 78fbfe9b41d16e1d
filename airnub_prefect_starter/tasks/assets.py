"""Prefect asset materialization events for what the processing and analysis stages build.

Each dataset a processing run builds, and each model and report an analysis run writes, is announced to Prefect as
an asset keyed by its location (``file:///abs/path`` for a local data dir, ``s3://bucket/key`` on object storage)
through Prefect's public asset API: one ``@materialize`` task run per dataset or analysis, its metadata added with
``add_asset_metadata``. Prefect then emits ``prefect.asset.materialization.succeeded`` for each asset (the metadata
as the event's payload: sha256 and row counts) and ``prefect.asset.referenced`` for its upstream assets (a
dataset's source URLs; the dataset a model and report were made from). Unchanged and failed items emit nothing.

These events are a view for Prefect users; the project's own lineage (manifests, the index, the analysis record)
stays the source of truth. A location that cannot be an asset key (a space, ``%``, ``?``, more than 512 characters:
Prefect's rules) is skipped with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from prefect.assets import Asset, AssetProperties, add_asset_metadata, materialize
from prefect.cache_policies import NO_CACHE
from prefect.tasks import MaterializingTask
from pydantic import ValidationError

from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.processing.outcome import DatasetOutcome

__all__ = ["MATERIALIZED_BY", "asset_key", "record_asset_materializations"]

logger = logging.getLogger(__name__)

#: The ``asset-materialized-by`` related resource of every event.
MATERIALIZED_BY: Final = "airnub"


def asset_key(path: str | Path, settings: AirnubSettings) -> str:
    """The asset key of a file of the data dir: its ``s3://`` URL when it lives on object storage, else
    ``file://`` and its absolute path."""
    location = settings.location_of(path)
    return location if "://" in location else "file://" + Path(location).resolve().as_posix()


def record_asset_materializations(outcomes: Sequence[object], runtime: object, settings: AirnubSettings) -> None:
    """Announce the datasets built and the analyses done among ``outcomes`` (a category run's, with its
    ``runtime`` and the run's ``settings``) as Prefect asset materializations; call it inside the category's flow
    run."""
    for outcome in outcomes:
        if isinstance(outcome, DatasetOutcome) and outcome.status == "built" and outcome.path:
            _materialize(*_dataset_assets(outcome, settings))
        elif isinstance(outcome, AnalysisOutcome) and outcome.status == "analysed" and outcome.report_html:
            _materialize(*_analysis_assets(outcome, runtime, settings))


_Assets = tuple[str, dict[str, dict[str, Any]], list[str]]


def _dataset_assets(outcome: DatasetOutcome, settings: AirnubSettings) -> _Assets:
    assert outcome.path is not None
    metadata = {
        "kind": "dataset",
        "category": outcome.category,
        "name": outcome.name,
        "sha256": outcome.sha256,
        "rows": outcome.rows_out,
        "rows_in": outcome.rows_in,
        "rows_quarantined": outcome.rows_quarantined,
        "inputs": [{"data_source_name": i.data_source_name, "sha256": i.sha256} for i in outcome.inputs],
    }
    if outcome.manifest_path:
        metadata["manifest"] = settings.location_of(outcome.manifest_path)
    upstream = sorted({url for raw in outcome.inputs for url in raw.urls})
    return outcome.name, {asset_key(outcome.path, settings): metadata}, upstream


def _analysis_assets(outcome: AnalysisOutcome, runtime: object, settings: AirnubSettings) -> _Assets:
    from airnub_prefect_starter.analysis.pipeline import AnalysisLayout

    assert outcome.report_html is not None
    common = {"category": outcome.category, "name": outcome.name, "dataset_sha256": outcome.dataset_sha256}
    rows = {"rows_train": outcome.n_train, "rows_test": outcome.n_test}
    assets: dict[str, dict[str, Any]] = {
        asset_key(outcome.report_html, settings): {
            "kind": "report",
            **common,
            "sha256": sha256_file(Path(outcome.report_html)),
            **rows,
        }
    }
    if outcome.model_path:
        scores = {
            "accuracy": outcome.accuracy,
            "f1_macro": outcome.f1_macro,
            "r2": outcome.r2,
            "mae": outcome.mae,
            "rmse": outcome.rmse,
        }
        assets[asset_key(outcome.model_path, settings)] = {
            "kind": "model",
            **common,
            "sha256": outcome.model_sha256,
            "model": outcome.model_kind,
            "task": outcome.task,
            **rows,
            **{k: v for k, v in scores.items() if v is not None},
        }
    upstream = []
    if isinstance(runtime, AnalysisLayout):
        upstream.append(asset_key(runtime.datasets_dir / f"{outcome.name}.parquet", settings))
    return outcome.name, assets, upstream


def _record(metadata: dict[str, dict[str, Any]]) -> None:
    """The body of a materializing task: the metadata of each asset, as the payload of its event."""
    for key, values in metadata.items():
        add_asset_metadata(key, values)


def _materialize(name: str, metadata: dict[str, dict[str, Any]], upstream: list[str]) -> None:
    """One materializing task run for the assets of ``metadata`` (named ``name``), upstream of them ``upstream``
    (a key Prefect refuses is left out: a source URL with a query, say)."""
    assets = []
    for key, values in metadata.items():
        asset = _asset(key, f"{values['name']} ({values['kind']})")
        if asset is None:
            logger.warning("%s: not a Prefect asset key (no asset event for it)", key)
        else:
            assets.append(asset)
    if not assets:
        return
    deps: list[Asset | str] = [asset for asset in map(_asset, upstream) if asset is not None]
    decorate = materialize(  # never cached: Prefect emits nothing for a Cached task run
        *assets, by=MATERIALIZED_BY, asset_deps=deps, name="Record assets", task_run_name=name, cache_policy=NO_CACHE
    )
    task: MaterializingTask[[dict[str, dict[str, Any]]], None] = decorate(_record)
    task({asset.key: metadata[asset.key] for asset in assets})


def _asset(key: str, name: str | None = None) -> Asset | None:
    try:
        return Asset(key=key, properties=AssetProperties(name=name) if name else None)
    except ValidationError:
        return None
