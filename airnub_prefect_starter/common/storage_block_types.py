"""The kinds of Prefect block ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` may name, for every message that points at it
(how each is read: :mod:`airnub_prefect_starter.tasks.storage_blocks`)."""

from __future__ import annotations

from typing import Final

__all__ = ["STORAGE_BLOCK_HINT", "STORAGE_BLOCK_TYPES"]

#: Block type slug -> the name Prefect shows, in the order a bare block name is looked up.
STORAGE_BLOCK_TYPES: Final = {
    "secret": "Secret",
    "aws-credentials": "AWS Credentials",
    "minio-credentials": "MinIO Credentials",
    "s3-bucket": "S3 Bucket",
}
#: What to write instead of keys in the environment: the setting and the block types it accepts.
STORAGE_BLOCK_HINT: Final = (
    f"name a block in AIRNUB_STORAGE_CREDENTIALS_BLOCK ({', '.join(list(STORAGE_BLOCK_TYPES)[:-1])} or "
    f"{list(STORAGE_BLOCK_TYPES)[-1]})"
)
