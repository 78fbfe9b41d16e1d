"""Object-storage credentials from the Prefect block ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` names.

Four kinds of block are accepted, each turned into the one :class:`S3Credentials` the store takes:

- ``secret``: a Secret holding JSON (access_key_id, secret_access_key, optional session_token, endpoint_url,
  region);
- ``aws-credentials``: prefect-aws ``AwsCredentials`` (keys, region, ``aws_client_parameters.endpoint_url``; a
  profile or a role to assume is resolved through the block's boto3 session when the run starts);
- ``minio-credentials``: prefect-aws ``MinIOCredentials`` (``minio_root_user`` / ``minio_root_password``, region,
  ``aws_client_parameters.endpoint_url``);
- ``s3-bucket``: prefect-aws ``S3Bucket``: its credentials block as above, and its bucket and folder, which the data
  dir must be or lie under (the data dir is resolved before Prefect's API is reached, so the block checks it
  rather than moving it).

The setting is a block name (looked up among the four types) or ``<type>/<name>`` as Prefect writes block slugs.
Every problem is a :class:`ConfigError` in one line naming the block, never a value.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from typing import Any, Final, cast

from prefect.blocks.core import Block
from prefect.blocks.system import Secret
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.exceptions import ObjectNotFound
from pydantic import SecretStr

from airnub_prefect_starter.common.locations import parse_location
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.common.storage_block_types import STORAGE_BLOCK_TYPES
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.secret_refs import SECRET_PLACEHOLDER
from airnub_prefect_starter.core.store.object_store import S3Credentials

__all__ = [
    "AWS_EXTRA_HINT",
    "BLOCK_TYPES",
    "parse_block_setting",
    "s3_bucket_location",
    "block_types_named",
    "save_storage_block_from_env",
    "storage_credentials",
]

#: Block type slug -> the name Prefect shows, in the order a bare block name is looked up.
BLOCK_TYPES: Final = STORAGE_BLOCK_TYPES
_PREFECT_AWS_TYPES: Final = frozenset({"aws-credentials", "minio-credentials", "s3-bucket"})
AWS_EXTRA_HINT: Final = "needs prefect-aws: pip install 'airnub-prefect-starter[aws]'"
_SETTING: Final = "AIRNUB_STORAGE_CREDENTIALS_BLOCK"
_SECRET_KEYS: Final = ("access_key_id", "secret_access_key", "session_token", "endpoint_url", "region")
_ACCEPTED: Final = "accepted: " + ", ".join(f"{slug} ({title})" for slug, title in BLOCK_TYPES.items())


def parse_block_setting(value: str) -> tuple[str | None, str]:
    """``(type slug or None, block name)`` from ``name`` or ``type/name``; an unknown type is a ConfigError."""
    slug, _, name = value.rpartition("/")
    if not slug:
        return None, value
    if slug not in BLOCK_TYPES:
        raise ConfigError(f"{_SETTING}: '{value}' has type '{slug}'; {_ACCEPTED}")
    return slug, name


def storage_credentials(settings: AirnubSettings) -> S3Credentials | None:
    """The credentials of the block ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` names, or ``None`` when it names none (the
    AWS variables then apply). A missing, placeholder, malformed or unknown-type block, or an ``S3Bucket`` block
    whose bucket does not hold the data dir, is a ConfigError naming the block, never its value."""
    if not settings.storage_credentials_block:
        return None
    slug, name = _find(settings.storage_credentials_block)
    where = f"{_SETTING}: {BLOCK_TYPES[slug]} block '{name}'"
    if slug == "secret":
        return _from_secret(name, where)
    if importlib.util.find_spec("prefect_aws") is None:
        raise ConfigError(f"{where} {AWS_EXTRA_HINT}")
    block: Any = Block.load(f"{slug}/{name}")  # a sync call here: a block, not a coroutine
    if slug == "s3-bucket":
        location = s3_bucket_location(block)
        data = settings.data_url
        if data is None or not (data + "/").startswith(location + "/"):
            shown = data or settings.data_dir
            raise ConfigError(
                f"{where} holds {location}, but AIRNUB_DATA_DIR is {shown}: set AIRNUB_DATA_DIR={location} "
                "(or a folder under it)"
            )
        block = block.credentials
    return _from_prefect_aws(block, where)


def s3_bucket_location(block: Any) -> str:
    """``s3://<bucket_name>/<bucket_folder>`` of a prefect-aws ``S3Bucket`` block."""
    folder = str(block.bucket_folder or "").strip("/")
    return f"s3://{block.bucket_name}/{folder}".rstrip("/")


def _find(setting: str) -> tuple[str, str]:
    """The type slug and name of the block ``setting`` names: its own type when written ``type/name``, else the one
    accepted type with a block of that name (none or several: a ConfigError saying what to write)."""
    slug, name = parse_block_setting(setting)
    with get_client(sync_client=True) as client:
        found = _types_named(client, name, [slug] if slug else list(BLOCK_TYPES))
        if len(found) == 1:
            return found[0], name
        if found:
            raise ConfigError(
                f"{_SETTING}: blocks of several types are named '{name}' ({', '.join(found)}): write "
                f"{_SETTING}=<type>/{name}"
            )
        if slug:
            missing = f"{BLOCK_TYPES[slug]} block '{name}' was not found"
            raise ConfigError(f"{_SETTING}: {missing} (see `airnub blocks setup`)")
        other = sorted(
            {
                doc.block_type.slug
                for doc in client.read_block_documents(include_secrets=False)
                if doc.name == name and doc.block_type is not None
            }
        )
    if other:
        raise ConfigError(f"{_SETTING}: block '{name}' has type '{other[0]}'; {_ACCEPTED}")
    raise ConfigError(f"{_SETTING}: no block named '{name}' was found ({_ACCEPTED}; see `airnub blocks setup`)")


def block_types_named(name: str) -> list[str]:
    """The accepted type slugs (in :data:`BLOCK_TYPES` order) of the blocks named ``name`` that exist."""
    with get_client(sync_client=True) as client:
        return _types_named(client, name, list(BLOCK_TYPES))


def _types_named(client: SyncPrefectClient, name: str, candidates: list[str]) -> list[str]:
    found = []
    for candidate in candidates:
        try:
            client.read_block_document_by_name(name, candidate, include_secrets=False)
        except ObjectNotFound:
            continue
        found.append(candidate)
    return found


def _from_secret(name: str, where: str) -> S3Credentials:
    value: Any = cast(Secret[Any], Secret.load(name)).get()
    if value == SECRET_PLACEHOLDER:
        raise ConfigError(f"{where} still holds the placeholder (see `airnub blocks setup`)")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    shape = "must hold a JSON object with access_key_id and secret_access_key (optional: session_token, "
    shape += "endpoint_url, region)"
    if not isinstance(value, dict):
        raise ConfigError(f"{where} {shape}")
    unknown = sorted(str(key) for key in value if key not in _SECRET_KEYS)
    fields = {key: value.get(key) for key in _SECRET_KEYS}
    if unknown or not all(isinstance(v, str) for v in fields.values() if v is not None):
        raise ConfigError(f"{where} {shape}" + (f"; unknown keys: {', '.join(unknown)}" if unknown else ""))
    if not fields["access_key_id"] or not fields["secret_access_key"]:
        raise ConfigError(f"{where} {shape}")
    return S3Credentials(**fields)


def _from_prefect_aws(block: Any, where: str) -> S3Credentials:
    """An ``AwsCredentials`` or ``MinIOCredentials`` block as :class:`S3Credentials`."""
    from prefect_aws import AwsCredentials, MinIOCredentials

    endpoint = block.aws_client_parameters.endpoint_url or None
    if isinstance(block, MinIOCredentials):
        user, password = block.minio_root_user, _revealed(block.minio_root_password)
        if not user or not password:
            raise ConfigError(f"{where} needs minio_root_user and minio_root_password")
        return S3Credentials(user, password, endpoint_url=endpoint, region=block.region_name)
    if not isinstance(block, AwsCredentials):
        raise ConfigError(f"{where} holds a '{type(block).__name__}' credentials block; {_ACCEPTED}")
    key_id, secret = block.aws_access_key_id, _revealed(block.aws_secret_access_key)
    if bool(key_id) != bool(secret):
        raise ConfigError(f"{where} needs both aws_access_key_id and aws_secret_access_key (or neither)")
    token = block.aws_session_token
    if not key_id and (block.profile_name or block.assume_role_arn):  # boto3 resolves them, once per run
        resolved = block.get_boto3_session().get_credentials()
        if resolved is None:
            raise ConfigError(f"{where}: its profile or role gave no credentials")
        frozen = resolved.get_frozen_credentials()
        key_id, secret, token = frozen.access_key, frozen.secret_key, frozen.token
    # no keys, no profile or role: endpoint and region from the block, keys from the AWS variables
    return S3Credentials(key_id or None, secret or None, token or None, endpoint, block.region_name)


def save_storage_block_from_env(slug: str, name: str, env: Mapping[str, str], data_url: str | None) -> str:
    """Create or update the prefect-aws block ``slug``/``name`` from the standard AWS variables in ``env``
    (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, optional ``AWS_SESSION_TOKEN``, ``AWS_REGION``,
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``; an ``s3-bucket`` also takes its bucket and folder from the data
    dir's URL ``data_url``). What was done: ``created``, ``updated``, or ``kept`` (the keys are not set and the
    block exists). The keys missing and no block yet, an ``s3-bucket`` without a data dir on object storage or
    prefect-aws not installed: a ConfigError."""
    if slug not in _PREFECT_AWS_TYPES:
        raise ValueError(f"{slug}: not a prefect-aws block type")
    where = f"{BLOCK_TYPES[slug]} block '{name}'"
    if importlib.util.find_spec("prefect_aws") is None:
        raise ConfigError(f"{where} {AWS_EXTRA_HINT}")
    from prefect_aws import AwsClientParameters, AwsCredentials, MinIOCredentials, S3Bucket

    with get_client(sync_client=True) as client_api:
        try:
            client_api.read_block_document_by_name(name, slug, include_secrets=False)
            existed = True
        except ObjectNotFound:
            existed = False
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if (not key_id or not secret) and existed:
        return "kept"
    if not key_id or not secret:
        raise ConfigError(f"{where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the block is made from them)")
    if slug == "s3-bucket" and data_url is None:
        raise ConfigError(f"{where}: its bucket and folder come from AIRNUB_DATA_DIR: set it to s3://bucket/folder")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    client = AwsClientParameters(endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL"))
    credentials: AwsCredentials | MinIOCredentials
    if slug == "minio-credentials":
        credentials = MinIOCredentials(
            minio_root_user=key_id,
            minio_root_password=SecretStr(secret),
            region_name=region,
            aws_client_parameters=client,
        )
    else:
        credentials = AwsCredentials(
            aws_access_key_id=key_id,
            aws_secret_access_key=SecretStr(secret),
            aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
            region_name=region,
            aws_client_parameters=client,
        )
    block: Block = credentials
    if slug == "s3-bucket" and data_url is not None:
        location = parse_location(data_url)
        block = S3Bucket(bucket_name=location.bucket, bucket_folder=location.prefix, credentials=credentials)
    block.save(name, overwrite=True)
    return "updated" if existed else "created"


def _revealed(value: SecretStr | str | None) -> str | None:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
