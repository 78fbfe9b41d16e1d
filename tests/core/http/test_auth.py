"""Credentials.scrub hides a secret value however a URL or a message encodes it."""

from __future__ import annotations

import pytest

from airnub_prefect_starter.core.http.auth import BasicAuth, Credentials, SourceAuth


@pytest.mark.parametrize("shown", ["a b/c+d", "a+b%2Fc%2Bd", "a%20b%2Fc%2Bd", "a%20b/c%2Bd"])
def test_credentials_scrub_hides_a_secret_in_every_url_encoding(shown: str) -> None:
    credentials = Credentials(query={"x": "a b/c+d"})

    assert credentials.scrub(f"http://h/p?x={shown}&page=1") == "http://h/p?x=REDACTED&page=1"


@pytest.mark.parametrize("shown", ["a%2fb%2bc%3d", "a%2Fb%2bc%3D", "a/b%2bc%3d", "%61%2fb%2Bc="])
def test_credentials_scrub_hides_a_secret_whatever_the_case_of_its_percent_encoding(shown: str) -> None:
    credentials = Credentials(query={"x": "a/b+c="})

    assert credentials.scrub(f"http://h/p?echo={shown}&page=1") == "http://h/p?echo=REDACTED&page=1"


def test_source_auth_credentials_scrub_the_raw_bearer_token_and_basic_password() -> None:
    bearer = SourceAuth(bearer_secret_block="token").credentials({"token": "t0ken-value"}, "src")
    basic = SourceAuth(basic=BasicAuth(username="me", password_secret_block="pw")).credentials({"pw": "pa55"}, "src")

    assert bearer.scrub("http://h/p?echo=t0ken-value") == "http://h/p?echo=REDACTED"
    assert basic.scrub("http://h/p?echo=pa55") == "http://h/p?echo=REDACTED"
