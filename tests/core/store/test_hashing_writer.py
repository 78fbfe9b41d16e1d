"""HashingWriter: the same bytes and hash inline and with helper threads; failures are raised, threads end."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from airnub_prefect_starter.core.errors import StorageError
from airnub_prefect_starter.core.store.hashing_writer import WRITEBACK_WINDOW, HashingWriter


def chunks_of(data: bytes, sizes: list[int]) -> list[bytes]:
    out, start = [], 0
    for size in sizes * (len(data) // max(1, sum(sizes)) + 1):
        if start >= len(data):
            break
        out.append(data[start : start + size])
        start += size
    return out


def helper_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("airnub-body-")]


@pytest.mark.parametrize("offload_after", [1 << 40, 0, 300_000], ids=["inline", "helpers", "switch-midway"])
def test_bytes_and_hash_match_the_input(tmp_path: Path, offload_after: int) -> None:
    data = os.urandom(WRITEBACK_WINDOW + 3 * 1024 * 1024 + 17)
    target = tmp_path / "body"
    with target.open("wb") as sink, HashingWriter(sink, offload_after=offload_after) as writer:
        for chunk in chunks_of(data, [1, 65_536, 1_048_576, 333]):
            writer.write(chunk)
        digest = writer.finish()
        assert writer.size_bytes == len(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert target.read_bytes() == data
    assert helper_threads() == []


def test_empty_body_hashes_to_the_empty_digest(tmp_path: Path) -> None:
    with (tmp_path / "empty").open("wb") as sink, HashingWriter(sink, offload_after=0) as writer:
        writer.write(b"")
        assert writer.finish() == hashlib.sha256(b"").hexdigest()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full to simulate a full disk")
@pytest.mark.parametrize("offload_after", [1 << 40, 0], ids=["inline", "helpers"])
def test_a_full_disk_is_a_storage_error_naming_the_file(offload_after: int) -> None:
    chunk = os.urandom(1024 * 1024)
    with open("/dev/full", "wb") as sink, HashingWriter(sink, offload_after=offload_after) as writer:
        with pytest.raises(StorageError, match=r"^cannot write the download to /dev/full: .*No space left"):  # noqa: PT012
            for _ in range(64):
                writer.write(chunk)
            writer.finish()
    assert helper_threads() == []


class _SlowFile(io.FileIO):
    """A real file whose writes take 20 ms each, so chunks pile up in the helper's queue."""

    def write(self, data: Any) -> int:
        time.sleep(0.02)
        return super().write(data)


def test_leaving_on_an_error_stops_the_helpers_without_waiting_for_the_rest(tmp_path: Path) -> None:
    chunks, chunk = 20, os.urandom(1024 * 1024)
    with pytest.raises(RuntimeError, match="deadline"):  # noqa: PT012
        with _SlowFile(tmp_path / "body", "wb") as sink, HashingWriter(sink, offload_after=0) as writer:
            for _ in range(chunks):
                writer.write(chunk)
            raise RuntimeError("deadline")
    assert helper_threads() == []
    # the chunks still queued when the error left the block were dropped, not written
    assert (tmp_path / "body").stat().st_size < chunks * len(chunk)
