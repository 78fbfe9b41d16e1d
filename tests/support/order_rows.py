"""A dataset larger than a small sample: 5,000 orders with a primary key, 13 orders without an amount, a category,
300 cities and a date, as CSV and as its declaration; written by the real processing code path."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.data_science.dataset_processing import RawObject, parse_objects
from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, write_dataset
from airnub_prefect_starter.data_science.recipes import DatasetRecipe

__all__ = ["ORDER_ROWS", "ORDER_ROWS_COUNT", "ORDER_ROWS_DECLARATION", "ORDER_ROWS_NO_AMOUNT", "write_order_rows"]

ORDER_ROWS_COUNT = 5000
#: Orders whose amount is empty: every 384th from the 101st.
ORDER_ROWS_NO_AMOUNT = len(range(100, ORDER_ROWS_COUNT, 384))


def _row(i: int) -> str:
    items = i % 7 + 1
    distance = ((i * 37) % 101) / 4
    amount = "" if i % 384 == 100 else f"{3 * items + 0.5 * distance + ((i * 13) % 10) / 10:.2f}"
    channel = ("web", "shop", "phone")[(items + i % 2) % 3]
    ordered_on = date(2024, 1, 1) + timedelta(days=i % 366)
    return f"{1000 + i},{items},{distance},{amount},{channel},city{(i * 7919) % 300},{ordered_on.isoformat()}\n"


ORDER_ROWS = (
    b"order_id,items,distance,amount,channel,city,ordered_on\n" + "".join(map(_row, range(ORDER_ROWS_COUNT))).encode()
)

#: The declaration (format and schema) of ``order_rows``: ``order_id`` is its primary key.
ORDER_ROWS_DECLARATION: dict[str, Any] = {
    "format": "csv",
    "schema": {
        "columns": [
            {"name": "order_id", "type": "int"},
            {"name": "items", "type": "int"},
            {"name": "distance", "type": "float"},
            {"name": "amount", "type": "float", "nullable": True},
            {"name": "channel", "type": "category"},
            {"name": "city", "type": "str"},
            {"name": "ordered_on", "type": "date"},
        ],
        "primary_key": ["order_id"],
    },
}


def write_order_rows(folder: Path) -> WrittenDataset:
    """``order_rows.parquet`` and its manifest in ``folder/processed``, parsed and written as processing does."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / "order_rows.csv"
    raw.write_bytes(ORDER_ROWS)
    recipe = DatasetRecipe.model_validate(ORDER_ROWS_DECLARATION)
    sha256 = generate_sha256_hash(ORDER_ROWS)
    table = parse_objects([RawObject(raw, sha256, raw.name)], recipe, dataset="order_rows")
    return write_dataset(table, folder / "processed", "order_rows", [sha256], recipe_sha256=recipe.recipe_sha256())
