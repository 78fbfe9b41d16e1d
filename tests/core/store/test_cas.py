"""The content-addressed store: atomic publish, first writer wins, no escape from the base."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import IntegrityError, StorageError
from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.core.store.store import PublishGroup, StoredObject
from tests.support.http_server import sha256_hex

DATA = b"hello store"
SHA = sha256_hex(DATA)


def publish(
    store: ContentAddressedStore,
    data: bytes = DATA,
    filename: str = "f.txt",
    size: int | None = None,
    group: PublishGroup | None = None,
):
    with store.temp_file() as (path, handle):
        handle.write(data)
        handle.flush()
        return (store if group is None else group).publish(
            path,
            data_source_name="src",
            sha256=sha256_hex(data),
            size_bytes=len(data) if size is None else size,
            filename=filename,
            manifest_json=b"{}",
        )


def file_of(stored: StoredObject) -> Path:
    return Path(stored.location)


def test_publish_places_object_and_manifest_together(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)

    stored, created = publish(store)

    assert created is True
    assert file_of(stored) == tmp_path / "src" / SHA / "f.txt" and file_of(stored).read_bytes() == DATA
    assert Path(stored.manifest_location).read_bytes() == b"{}"
    assert store.temp_files() == []


def test_publish_second_writer_loses_and_keeps_first(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    first, _ = publish(store, filename="first.txt")

    second, created = publish(store, filename="second.txt")

    assert created is False and file_of(second) == file_of(first)
    assert sorted(p.name for p in file_of(first).parent.iterdir()) == ["first.txt", "first.txt.manifest.json"]
    assert store.temp_files() == []


def test_publish_loser_detects_corrupt_winner(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    first, _ = publish(store)
    file_of(first).write_bytes(b"truncated")

    with pytest.raises(IntegrityError, match="stored object has 9 bytes, its hash promises 11"):
        publish(store)


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "", "a\\b"])
def test_publish_refuses_unsafe_filename(tmp_path: Path, name: str) -> None:
    store = ContentAddressedStore(tmp_path / "cas")

    with pytest.raises(StorageError, match="unsafe file name"):
        publish(store, filename=name)

    assert not (tmp_path / "x").exists() and store.temp_files() == []


@pytest.mark.parametrize("name", ["../up", "a/b", "", ".."])
def test_object_dir_refuses_unsafe_data_source_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(StorageError, match="data_source_name"):
        ContentAddressedStore(tmp_path).object_dir(name, SHA)


def test_temp_file_is_removed_when_writer_fails(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)

    def write_then_fail() -> None:
        with store.temp_file() as (_path, handle):
            handle.write(b"partial")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_then_fail()

    assert store.temp_files() == []


def test_iter_objects_lists_every_object(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    publish(store, b"one")
    publish(store, b"two")

    assert sorted(o.sha256 for o in store.iter_objects()) == sorted([sha256_hex(b"one"), sha256_hex(b"two")])


def test_publish_recreates_folders_removed_after_the_store_made_them(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path / "cas")
    publish(store, b"first")
    shutil.rmtree(store.root)

    stored, created = publish(store, DATA)

    assert created and file_of(stored).read_bytes() == DATA
    assert store.temp_files() == []


def test_find_with_the_indexed_file_name_and_with_a_stale_one(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path / "cas")
    stored, _ = publish(store)

    assert store.find("src", SHA, "f.txt") == stored
    assert store.find("src", SHA, "renamed.txt") == stored  # a stale name: listing the directory finds it
    assert store.find("src", "0" * 64, "f.txt") is None


def test_a_temp_area_planted_as_a_symlink_is_refused_and_nothing_lands_outside(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path / "store")
    outside = tmp_path / "outside"
    outside.mkdir()
    store.root.mkdir()
    store.temp_dir.symlink_to(outside, target_is_directory=True)

    with pytest.raises(StorageError, match=r"\.tmp is a symlink: refusing to write through it"):
        with store.temp_file() as (_path, handle):
            handle.write(b"x")

    assert list(outside.iterdir()) == []


def test_publish_with_heal_quarantines_a_damaged_object_and_publishes_the_good_copy(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    first, _ = publish(store)
    file_of(first).write_bytes(b"truncated")
    (file_of(first).parent / "stray.txt").write_bytes(b"x")
    with store.temp_file() as (path, handle):
        handle.write(DATA)
        handle.flush()
        healed, created = store.publish(
            path,
            data_source_name="src",
            sha256=SHA,
            size_bytes=len(DATA),
            filename="f.txt",
            manifest_json=b"{}",
            heal=True,
        )

    assert created is True and file_of(healed).read_bytes() == DATA
    assert sorted(p.name for p in file_of(healed).parent.iterdir()) == ["f.txt", "f.txt.manifest.json"]
    [aside] = (tmp_path / ".quarantine" / "src").iterdir()
    assert aside.name.startswith(SHA) and (aside / "f.txt").read_bytes() == b"truncated"
    assert [o.sha256 for o in store.iter_objects()] == [SHA] and store.temp_files() == []


def test_a_group_stages_objects_unseen_until_it_commits_them_all(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    group = store.publish_group()

    staged = [publish(store, data, f"{i}.txt", group=group)[0] for i, data in enumerate((b"one", b"two"))]
    before = [store.find("src", s.sha256) for s in staged]
    committed = group.commit()

    assert before == [None, None] and len(group) == 0
    assert committed == [(staged[0], True), (staged[1], True)]
    assert [file_of(s).read_bytes() for s in staged] == [b"one", b"two"]
    assert all(Path(s.manifest_location).read_bytes() == b"{}" for s in staged)
    assert store.temp_files() == []


def test_a_group_creates_content_staged_twice_once_and_says_so(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    group = store.publish_group()
    publish(store, DATA, "a.txt", group=group)
    publish(store, DATA, "b.txt", group=group)
    publish(store, b"other", "c.txt")  # published alone, as another writer would
    already = publish(store, b"other", "d.txt", group=group)  # found at once: nothing to stage

    committed = group.commit()

    assert (already[0].filename, already[1]) == ("c.txt", False)
    assert [(s.filename, created) for s, created in committed] == [
        ("a.txt", True),
        ("a.txt", False),  # the winner's object, verified
    ]
    assert sorted(p.name for p in (tmp_path / "src" / SHA).iterdir()) == ["a.txt", "a.txt.manifest.json"]
    assert store.temp_files() == []


def test_a_group_loses_to_a_writer_that_published_between_staging_and_commit(tmp_path: Path) -> None:
    store = ContentAddressedStore(tmp_path)
    group = store.publish_group()
    publish(store, DATA, "mine.txt", group=group)
    theirs, _ = publish(store, DATA, "theirs.txt")

    committed = group.commit()

    assert committed == [(theirs, False)]
    assert file_of(theirs).read_bytes() == DATA and not (tmp_path / "src" / SHA / "mine.txt").exists()
    assert store.temp_files() == []
