"""Runtimes travel as task parameters and appear in tracebacks and Dask's failure messages: their ``repr`` shows no
secret (the index URL's password, the object-storage keys)."""

from __future__ import annotations

from pathlib import Path

from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.ingestion.batch import BatchRuntime
from airnub_prefect_starter.stages.runtime import StageRuntime

PASSWORD = "index-pw-5f1c"
KEY = "secret-key-9a2e"


def test_no_runtime_repr_shows_the_index_password_or_the_storage_keys(tmp_path: Path) -> None:
    shared = {
        "category": "files",
        "index_url": f"postgresql+psycopg://airnub:{PASSWORD}@db.example/airnub",
        "credentials": S3Credentials(access_key_id="AKIA-id", secret_access_key=KEY, endpoint_url="http://s3"),
    }
    runtimes = [
        StageRuntime(**shared),
        BatchRuntime(**shared, data_source_name="src", store_base="s3://bucket/cas", policy=HttpPolicy()),
    ]

    shown = " ".join(repr(runtime) for runtime in runtimes)

    assert PASSWORD not in shown and KEY not in shown
    assert "category='files'" in shown and "endpoint_url='http://s3'" in shown
