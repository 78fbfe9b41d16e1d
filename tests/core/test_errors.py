"""Every exception survives pickling (Prefect ships exceptions between processes)."""

from __future__ import annotations

import pickle

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
