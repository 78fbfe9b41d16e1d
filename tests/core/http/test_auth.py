"""Credentials.scrub hides a secret value however a URL or a message encodes it."""

from __future__ import annotations

import pytest

from airnub_prefect_starter.core.http.auth import Credentials


@pytest.mark.parametrize("shown", ["a b/c+d", "a+b%2Fc%2Bd", "a%20b%2Fc%2Bd", "a%20b/c%2Bd"])
def test_credentials_scrub_hides_a_secret_in_every_url_encoding(shown: str) -> None:
    credentials = Credentials(query={"x": "a b/c+d"})

    assert credentials.scrub(f"http://h/p?x={shown}&page=1") == "http://h/p?x=REDACTED&page=1"
