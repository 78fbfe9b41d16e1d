"""One interface per store: read from the source with ``ast``, no module outside the store factory, the two store
classes and the location parser branches on a storage URL's scheme or on which store class it holds, and none
outside the store factory and the store on object storage makes a bucket client itself."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.support.import_graph import back_arrows, import_graph
from tests.support.project_copy import REPO_ROOT

PACKAGE = "airnub_prefect_starter"
#: The only modules that may read a scheme or name a store class in a branch: the factory, the two stores (and
#: the S3 client under one of them) and the one parser of location strings.
ALLOWED = {
    f"{PACKAGE}/core/store/backends.py",
    f"{PACKAGE}/core/store/cas.py",
    f"{PACKAGE}/core/store/s3_cas.py",
    f"{PACKAGE}/core/store/object_store.py",
    f"{PACKAGE}/common/locations.py",
}
#: The only modules that may construct a ``Bucket``: the factory (``open_bucket``), the store on object storage and
#: the client's own module.
BUCKET_MAKERS = {
    f"{PACKAGE}/core/store/backends.py",
    f"{PACKAGE}/core/store/s3_cas.py",
    f"{PACKAGE}/core/store/object_store.py",
}
STORAGE_SCHEMES = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss")
STORE_CLASSES = {"Store", "ContentAddressedStore", "S3ContentAddressedStore", "LocalPublishGroup", "Bucket"}
_STRING_TESTS = {"startswith", "endswith", "removeprefix", "partition", "split", "find", "index"}


def _names_a_scheme(node: ast.AST) -> bool:
    """A string constant that is a storage scheme (``"s3"``) or starts with one and ``://``."""
    if isinstance(node, ast.Tuple):
        return any(_names_a_scheme(element) for element in node.elts)
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    return node.value in STORAGE_SCHEMES or node.value.startswith(tuple(f"{s}://" for s in STORAGE_SCHEMES))


def _class_names(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, ast.Tuple):
        for element in node.elts:
            yield from _class_names(element)
    elif isinstance(node, ast.BinOp):
        yield from _class_names(node.left)
        yield from _class_names(node.right)


def scheme_branches(source: str, shown: str) -> list[str]:
    """``<file>:<line>: <what>`` for every scheme comparison, scheme test on a string, or ``isinstance`` on a
    store class in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(_names_a_scheme(n) for n in (node.left, *node.comparators)):
            found.append(f"{shown}:{node.lineno}: compares with a storage scheme")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _STRING_TESTS and any(map(_names_a_scheme, node.args)):
                found.append(f"{shown}:{node.lineno}: {func.attr}() with a storage scheme")
            elif isinstance(func, ast.Name) and func.id in {"isinstance", "issubclass"} and len(node.args) == 2:
                if STORE_CLASSES & set(_class_names(node.args[1])):
                    found.append(f"{shown}:{node.lineno}: {func.id}() on a store class")
            elif isinstance(func, ast.Name) and func.id == "is_object_url":
                found.append(f"{shown}:{node.lineno}: is_object_url()")
    return found


def bucket_constructions(source: str, shown: str) -> list[str]:
    """``<file>:<line>: Bucket(...)`` for every call of a class named ``Bucket`` in ``source``."""
    return [
        f"{shown}:{node.lineno}: Bucket(...)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and list(_class_names(node.func)) == ["Bucket"]
    ]


def _sources() -> tuple[list[Path], list[str]]:
    files = sorted([*(REPO_ROOT / PACKAGE).rglob("*.py"), *(REPO_ROOT / "flows").rglob("*.py")])
    return files, [path.relative_to(REPO_ROOT).as_posix() for path in files]


def test_no_module_outside_the_store_factory_makes_a_bucket_client() -> None:
    files, shown = _sources()

    found = [
        line
        for path, name in zip(files, shown, strict=True)
        if name not in BUCKET_MAKERS
        for line in bucket_constructions(path.read_text(encoding="utf-8"), name)
    ]

    assert f"{PACKAGE}/tasks/object_storage.py" in shown
    assert found == []


def test_the_check_catches_a_bucket_client_made_by_name_or_through_its_module() -> None:
    source = "\n".join(
        [
            "bucket = Bucket(url, credentials)",
            "mirror.pull(object_store.Bucket(url), '', path)",
            # not constructions: the factory, another class named like it, the name alone
            "bucket = open_bucket(url, credentials)",
            "block = S3Bucket(bucket_name='b')",
            "kind = Bucket",
        ]
    )

    assert bucket_constructions(source, "m.py") == ["m.py:1: Bucket(...)", "m.py:2: Bucket(...)"]


def test_no_module_outside_the_store_factory_branches_on_a_scheme_or_a_store_class() -> None:
    files, shown = _sources()

    found = [
        line
        for path, name in zip(files, shown, strict=True)
        if name not in ALLOWED
        for line in scheme_branches(path.read_text(encoding="utf-8"), name)
    ]

    assert len(files) > 100 and f"{PACKAGE}/core/store/verify.py" in shown
    assert found == []


def test_the_check_catches_each_kind_of_scheme_branch() -> None:
    source = "\n".join(
        [
            'if url.startswith("s3://"): pass',
            'if location.scheme == "gs": pass',
            "if isinstance(store, ContentAddressedStore): pass",
            "if isinstance(store, (cas.ContentAddressedStore, Other)): pass",
            "if isinstance(store, Other | S3ContentAddressedStore): pass",
            "if is_object_url(base): pass",
            'bucket = url.removeprefix("s3://")',
            'if "gs://" in text[:5]: pass',
            # not branches: a message naming a scheme, an HTTP URL test, a parsed location asked what it is
            'raise ValueError("use a path or s3://bucket/prefix")',
            'if url.startswith("https://"): pass',
            "if not parse_location(base).is_local: pass",
        ]
    )

    found = scheme_branches(source, "m.py")

    assert found == [
        "m.py:1: startswith() with a storage scheme",
        "m.py:2: compares with a storage scheme",
        "m.py:3: isinstance() on a store class",
        "m.py:4: isinstance() on a store class",
        "m.py:5: isinstance() on a store class",
        "m.py:6: is_object_url()",
        "m.py:7: removeprefix() with a storage scheme",
        "m.py:8: compares with a storage scheme",
    ]


def test_the_store_and_the_http_client_import_nothing_of_each_other() -> None:
    graph = import_graph(REPO_ROOT / PACKAGE)

    assert back_arrows(graph, f"{PACKAGE}.core.store", [f"{PACKAGE}.core.http"]) == []
    assert back_arrows(graph, f"{PACKAGE}.core.http", [f"{PACKAGE}.core.store"]) == []
