"""Every exception survives pickling (Prefect ships exceptions between processes), and the tree drawn in the
module's docstring is the class tree."""

from __future__ import annotations

import inspect
import pickle
import re

import pytest

from airnub_prefect_starter.core import errors


@pytest.mark.parametrize(
    "error",
    [
        errors.ConfigError("configs/x.yaml: a.b: bad"),
        errors.TransientDownloadError("http://h/f", "HTTP 503", retry_after_s=2.0),
        errors.PermanentDownloadError("http://h/f", "HTTP 404"),
        errors.PolicyViolationError("http://h/f", "private address"),
        errors.ResponseContentError("http://h/f", "not JSON"),
        errors.IntegrityError("sha mismatch"),
        errors.ManifestIndexError("locked"),
    ],
)
def test_errors_round_trip_through_pickle(error: errors.AirnubError) -> None:
    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_download_errors_classify_as_transient_or_permanent() -> None:
    assert issubclass(errors.PolicyViolationError, errors.PermanentDownloadError)
    assert issubclass(errors.ResponseContentError, errors.PermanentDownloadError)
    assert not issubclass(errors.TransientDownloadError, errors.PermanentDownloadError)
    assert str(errors.TransientDownloadError("http://h/f", "timed out")) == "http://h/f: timed out"


def _drawn_tree(doc: str) -> dict[str, str]:
    """``{class: parent}`` as the docstring draws them (``├──``/``└──`` lines; the depth from the indentation)."""
    parents: dict[str, str] = {}
    path: list[str] = []
    for line in doc.splitlines():
        match = re.match(r"^ {4}((?:[│ ] {3})*)(?:[├└]── )?([A-Z]\w*Error)\b", line)
        if match is None:
            continue
        depth = len(match[1]) // 4 + (1 if "── " in line else 0)
        path[depth:] = [match[2]]
        if depth:
            parents[match[2]] = path[depth - 1]
    return parents


def test_the_docstring_draws_every_error_under_its_parent() -> None:
    classes = {
        name: cls
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.AirnubError) and cls is not errors.AirnubError
    }

    drawn = _drawn_tree(errors.__doc__ or "")

    assert drawn == {name: cls.__bases__[0].__name__ for name, cls in classes.items()}
    assert drawn["DeadlineExceededError"] == "DownloadError"
