"""How a declared dataset is made from its raw objects (:class:`DatasetRecipe`): the raw format, the reader
options and the schema. Plain pydantic models with no data stack behind them, so config validation (and the
flows that only validate configs) never imports pandas or pyarrow.
"""

from __future__ import annotations

import codecs
from typing import Literal

from pydantic import Field, field_validator

from airnub_prefect_starter.common.utils import generate_sha256_hash, is_text_codec
from airnub_prefect_starter.core.config import ConfigModel
from airnub_prefect_starter.data_science.schemas import TableSchema

__all__ = ["DatasetRecipe", "RawFormat", "ReaderOptions"]

RawFormat = Literal["csv", "tsv", "json", "jsonl", "parquet"]


class ReaderOptions(ConfigModel):
    """How to read a raw object's bytes (text options are ignored for parquet)."""

    encoding: str = Field(default="utf-8", description="Text encoding (a UTF-8 byte order mark is skipped).")
    delimiter: str | None = Field(
        default=None, min_length=1, max_length=1, description="Field separator; default ',' for csv, tab for tsv."
    )
    quote_char: str = Field(default='"', min_length=1, max_length=1, description="Quote around fields (csv, tsv).")
    escape_char: str | None = Field(
        default=None, min_length=1, max_length=1, description="Escape character; default none (quotes are doubled)."
    )
    header: bool = Field(
        default=True, description="The first row (after skip_rows) names the columns; if false, columns by position."
    )
    skip_rows: int = Field(default=0, ge=0, description="Rows skipped before the header or the first data row.")
    null_values: tuple[str, ...] = Field(
        default=("",), description="Texts read as an empty value (after stripping spaces), e.g. ['', 'NA']."
    )
    decimal: str = Field(default=".", min_length=1, max_length=1, description="Decimal mark of float columns.")
    date_formats: tuple[str, ...] = Field(
        default=("%Y-%m-%d",), min_length=1, description="strftime formats tried in order for date columns."
    )
    datetime_formats: tuple[str, ...] = Field(
        default=("ISO8601",),
        min_length=1,
        description="Formats tried in order for datetime columns: 'ISO8601' or strftime patterns; values without "
        "a time zone are read as UTC.",
    )
    records_key: str | None = Field(
        default=None, min_length=1, description="json: the top-level key holding the records (default: the array)."
    )

    @field_validator("encoding")
    @classmethod
    def _text_encoding(cls, encoding: str) -> str:
        """A text encoding Python can decode with: not an unknown name, not a bytes codec (``zlib``, ``rot13``,
        ``base64``), not ``undefined``."""
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"{encoding!r} is not a known encoding") from None
        if not is_text_codec(info):
            raise ValueError(f"{encoding!r} is not a text encoding (it is a bytes codec)")
        try:
            info.decode(b"")
        except UnicodeError:
            raise ValueError(f"{encoding!r} cannot decode text") from None
        return encoding


class DatasetRecipe(ConfigModel):
    """How a dataset is made from its raw objects: their format, how to read them and the schema to check."""

    format: RawFormat = Field(description="Raw format: csv, tsv, json (array of records), jsonl or parquet.")
    reader: ReaderOptions = Field(default_factory=ReaderOptions, description="How to read the raw bytes.")
    table_schema: TableSchema = Field(alias="schema", description="The dataset's columns, types and checks.")
    allow_empty: bool = Field(
        default=False, description="Accept inputs with no data rows (an empty dataset) instead of failing."
    )

    def recipe_sha256(self) -> str:
        """Hash of everything that decides the dataset's content besides the input bytes (in its manifest)."""
        return generate_sha256_hash(self.model_dump_json(by_alias=True).encode("utf-8"))
