"""The store when the OS refuses a write (not a folder, file too large, disk full): one StorageError naming the
path and the errno, never a raw OSError, and nothing left in the temp area."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.local_files import temp_file_in
from tests.core.store.test_cas import SHA, publish
from tests.support.project_copy import REPO_ROOT


def test_temp_file_is_a_storage_error_naming_the_temp_area_when_it_is_a_file(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    (tmp_path / ".tmp").write_bytes(b"in the way")

    with pytest.raises(StorageError, match=r"^cannot create a temp file in .*/\.tmp: ENOTDIR \(Not a directory\)$"):
        publish(store)

    assert (tmp_path / ".tmp").read_bytes() == b"in the way"


def test_temp_file_is_a_storage_error_when_the_store_lies_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    store = ContentAddressedStore(tmp_path / "file" / "store")

    with pytest.raises(StorageError, match=r"cannot create a temp file in .*/file/store/\.tmp: ENOTDIR"):
        publish(store)


@pytest.mark.parametrize("grouped", [False, True], ids=["single", "group"])
def test_publish_is_a_storage_error_naming_the_staging_folder_when_it_cannot_be_made(
    tmp_path: Path, grouped: bool
) -> None:
    store = ContentAddressedStore(tmp_path / "store")
    source = tmp_path / "body"
    source.write_bytes(b"hello store")
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / ".tmp").write_bytes(b"in the way")

    with pytest.raises(StorageError, match=r"^cannot make the staging folder .*/store/\.tmp/stage-[0-9a-f]+: ENOTDIR"):
        (store.publish_group() if grouped else store).publish(
            source,
            data_source_name="src",
            sha256=SHA,
            size_bytes=11,
            filename="f.txt",
            manifest_json=b"{}",
        )

    assert source.read_bytes() == b"hello store"


def test_publish_is_a_storage_error_when_the_data_source_folder_is_a_file(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    (tmp_path / "src").write_bytes(b"in the way")

    with pytest.raises(StorageError, match=rf"^cannot publish {tmp_path}/src/{SHA}: ENOTDIR \(Not a directory\)$"):
        publish(store)

    assert store.temp_files() == []


def test_quarantine_is_a_storage_error_when_its_folder_cannot_be_made(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    publish(store)
    (tmp_path / ".quarantine").write_bytes(b"in the way")

    with pytest.raises(StorageError, match=r"^cannot make the quarantine folder .*/\.quarantine/src: ENOTDIR"):
        store.quarantine("src", SHA)

    assert store.find("src", SHA) is not None


_FILE_SIZE_LIMIT_CHILD = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from airnub_prefect_starter.core.errors import StorageError
    from airnub_prefect_starter.core.store.cas import ContentAddressedStore
    from airnub_prefect_starter.core.store.hashing_writer import HashingWriter

    store = ContentAddressedStore(Path(sys.argv[1]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # a write past 4 KiB fails with EFBIG, as a full disk
    try:
        with store.temp_file() as (path, sink), HashingWriter(sink) as writer:
            writer.write(b"x" * 10_000)
            writer.finish()
    except StorageError as exc:
        print("body:", exc)
    try:
        with store.temp_file() as (path, sink):
            sink.write(b"small body")
            sink.flush()
            store.publish(path, data_source_name="src", sha256="a" * 64, size_bytes=10, filename="f.txt",
                          manifest_json=b"{" + b" " * 10_000 + b"}")
    except StorageError as exc:
        print("manifest:", exc)
    print("left:", [p.name for p in store.temp_files()])
    """
)


def test_writes_past_the_file_size_limit_are_storage_errors_naming_the_file(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse writes (EFBIG) as a full disk refuses them (ENOSPC), even for root."""
    done = subprocess.run(
        [sys.executable, "-c", _FILE_SIZE_LIMIT_CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    body, manifest, left = done.stdout.splitlines()
    assert body.startswith(f"body: cannot write the download to {tmp_path}/.tmp/part-")
    assert body.endswith(": EFBIG (File too large)")
    assert manifest.startswith(f"manifest: cannot write {tmp_path}/.tmp/stage-")
    assert manifest.endswith("/f.txt.manifest.json: EFBIG (File too large)")
    assert left == "left: []"


def test_temp_file_in_names_the_path_of_its_handle(tmp_path: Path) -> None:
    with temp_file_in(tmp_path / "t") as (path, handle):
        assert handle.name == str(path)


def test_temp_file_in_writes_to_the_file_it_made_when_a_symlink_is_swapped_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_swap(**kwargs: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(**kwargs)
        os.unlink(name)  # what someone who can write to .tmp could do between mkstemp and the open
        os.symlink(outside, name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_swap)
    with temp_file_in(tmp_path / "t") as (path, handle):
        handle.write(b"store bytes")
        assert handle.name == str(path)

    assert outside.read_bytes() == b"keep me"
