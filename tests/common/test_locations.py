"""Storage locations parsed once: a folder on this machine or a bucket URL, anything else refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.common.locations import Location, parse_location, storage_location_in


def test_a_bucket_url_is_parsed_into_its_parts_without_a_trailing_slash() -> None:
    found = parse_location("s3://my-bucket/raw/cas/")

    assert found == Location("s3://my-bucket/raw/cas", "s3", "my-bucket", "raw/cas")
    assert not found.is_local and found.copy_parts == ("s3", "my-bucket", "raw", "cas")
    assert found.join("src", "x.csv") == "s3://my-bucket/raw/cas/src/x.csv"
    assert parse_location("s3://my-bucket") == Location("s3://my-bucket", "s3", "my-bucket", "")


@pytest.mark.parametrize("value", ["data", "/srv/data", "./a:b", "C:/data", Path("/srv/x")])
def test_a_path_is_local_as_written(value: str | Path) -> None:
    found = parse_location(value)

    assert found.is_local and found.text == str(value) and found.copy_parts == ()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("gs://bucket/x", r"^gs:// is not a storage this project writes to"),
        ("az://bucket/x", r"^az:// is not a storage this project writes to"),
        ("s3:/bucket/x", r"'/' lost after 's3:'"),
        (
            "s3://key:secret@bucket/x",
            r"^credentials do not belong in a storage URL: set the AWS_\* variables or name a block in "
            r"AIRNUB_STORAGE_CREDENTIALS_BLOCK \(secret, aws-credentials, minio-credentials or s3-bucket\)$",
        ),
        ("s3://B/x", r"^'B' is not an S3 bucket name"),
    ],
)
def test_anything_else_is_refused_saying_why(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_location(value)


def test_bucket_locations_are_found_among_other_strings() -> None:
    values = ["s3://bucket-a/x/", "processed", "https://example.org/f.csv", "gs://b/x", 3, None]

    assert [found.text for v in values if (found := storage_location_in(v)) is not None] == ["s3://bucket-a/x"]
