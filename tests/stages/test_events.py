"""The stage-chaining events: resource ids and payloads (pure; the emitting flows are tested in tests/flows)."""

from __future__ import annotations

import json
import pickle

import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.ingestion.contract import INGESTION, objects_stored_payload
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.processing.contract import PROCESSING, datasets_built_payload
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.events import (
    DATASETS_BUILT,
    EVENT_NAMES,
    MAX_PAYLOAD_ITEMS,
    OBJECTS_STORED,
    department_resource,
    department_resource_id,
)


def outcome(name: str, status: str, sha: str | None = None) -> ItemOutcome:
    return ItemOutcome(
        category="scheduled_file_downloads",
        name=name,
        url=f"http://h/{name}",
        status=status,  # type: ignore[arg-type]
        sha256=sha,
        path=f"/store/src/{sha}/{name}" if sha else None,
        data_source_name="src",
    )


def test_event_names_are_distinct_and_namespaced() -> None:
    assert (OBJECTS_STORED, DATASETS_BUILT) == ("airnub.objects.stored", "airnub.datasets.built")  # prefect.yaml
    assert EVENT_NAMES == {"airnub.objects.stored", "airnub.datasets.built"}
    assert all(name.startswith("airnub.") for name in EVENT_NAMES)


@pytest.mark.parametrize("department", ["project_alpha", "dept_project_alpha"])
def test_department_resource_id_accepts_both_department_spellings(department: str) -> None:
    assert department_resource_id(department) == "airnub.department.project_alpha"


def test_department_resource_id_rejects_invalid_department() -> None:
    with pytest.raises(ConfigError, match="must be lower-case"):
        department_resource_id("Project Alpha")


def test_department_resource_names_department_and_stage() -> None:
    assert department_resource("project_alpha", "Project Alpha", "ingestion") == {
        "prefect.resource.id": "airnub.department.project_alpha",
        "prefect.resource.name": "Project Alpha",
        "airnub.stage": "ingestion",
    }


def test_objects_stored_payload_lists_only_stored_outcomes() -> None:
    outcomes = [
        outcome("a", "stored", "a" * 64),
        outcome("b", "unchanged", "b" * 64),
        outcome("c", "duplicate", "c" * 64),
        outcome("d", "failed"),
        outcome("e", "stored", "e" * 64),
    ]

    payload = objects_stored_payload("ingestion", outcomes)

    assert payload == {
        "stage": "ingestion",
        "count": 2,
        "objects": [
            {
                "category": "scheduled_file_downloads",
                "data_source_name": "src",
                "name": name,
                "sha256": name * 64,
                "path": f"/store/src/{name * 64}/{name}",
            }
            for name in ("a", "e")
        ],
        "truncated": False,
    }
    assert json.loads(json.dumps(payload)) == payload


def test_objects_stored_payload_is_none_when_nothing_new() -> None:
    outcomes = [outcome("b", "unchanged", "b" * 64), outcome("c", "duplicate", "c" * 64), outcome("d", "failed")]

    assert objects_stored_payload("ingestion", outcomes) is None
    assert objects_stored_payload("ingestion", []) is None


def test_objects_stored_payload_caps_listed_objects_but_counts_all() -> None:
    outcomes = [outcome(f"f{i}", "stored", f"{i:064x}") for i in range(MAX_PAYLOAD_ITEMS + 5)]

    payload = objects_stored_payload("ingestion", outcomes)

    assert payload is not None
    assert payload["count"] == MAX_PAYLOAD_ITEMS + 5 and payload["truncated"] is True
    assert [o["name"] for o in payload["objects"]] == [f"f{i}" for i in range(MAX_PAYLOAD_ITEMS)]


def test_datasets_built_payload_lists_only_built_datasets() -> None:
    outcomes = [
        DatasetOutcome("tabular_files", "iris", "built", rows_out=150, sha256="1" * 64, path="/d/iris.parquet"),
        DatasetOutcome("tabular_files", "wine", "unchanged", rows_out=178, sha256="2" * 64, path="/d/wine.parquet"),
        DatasetOutcome("api_records", "records", "failed", error="boom"),
    ]

    assert datasets_built_payload("processing", outcomes) == {
        "stage": "processing",
        "count": 1,
        "datasets": [
            {"category": "tabular_files", "name": "iris", "sha256": "1" * 64, "path": "/d/iris.parquet", "rows": 150}
        ],
        "truncated": False,
    }
    assert datasets_built_payload("processing", outcomes[1:]) is None


def test_item_outcome_with_data_source_survives_pickle() -> None:
    original = outcome("a", "stored", "a" * 64)

    assert pickle.loads(pickle.dumps(original)) == original


def test_each_contract_names_its_event_and_the_last_stage_emits_none() -> None:
    from airnub_prefect_starter.analysis.contract import ANALYSIS

    assert (INGESTION.event, PROCESSING.event, ANALYSIS.event) == (OBJECTS_STORED, DATASETS_BUILT, None)
    assert INGESTION.payload([outcome("a", "stored", "1" * 64)]) == objects_stored_payload(
        "ingestion", [outcome("a", "stored", "1" * 64)]
    )
    assert ANALYSIS.payload([]) is None
