"""Safe file names, streaming hashes and URL redaction."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from pathlib import Path

import pytest

from airnub_prefect_starter.common.utils import (
    MAX_FILENAME_BYTES,
    generate_sha256_hash,
    is_text_codec,
    load_json_bounded,
    redact_url,
    sanitize_filename,
    sha256_file,
    sha256_stream,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../x", "x"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("..", "download"),
        ("", "download"),
        (".bashrc", "bashrc"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("report .", "report"),
        ("a<b>c:d|e?f*g.csv", "a_b_c_d_e_f_g.csv"),
        ("tab\there.csv", "tabhere.csv"),
        ("\u202egnp.exe", "gnp.exe"),
        ("zero\u200bwidth.csv", "zerowidth.csv"),
        ("re\u0301sume\u0301.pdf", "résumé.pdf"),
        ("数据.csv", "数据.csv"),
    ],
)
def test_sanitize_filename_makes_one_safe_component(raw: str, expected: str) -> None:
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_truncates_overlong_names_keeping_extension() -> None:
    name = sanitize_filename("é" * 300 + ".parquet")

    assert name.endswith(".parquet")
    assert len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    name.encode("utf-8").decode("utf-8")  # never cut inside a multi-byte character


def test_sha256_helpers_agree_with_hashlib(tmp_path: Path) -> None:
    data = bytes(range(256)) * 5000
    path = tmp_path / "blob"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()

    assert generate_sha256_hash(data) == expected
    assert sha256_file(path) == expected
    assert sha256_stream(data[i : i + 777] for i in range(0, len(data), 777)) == (expected, len(data))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/p?token=abc&page=2", "https://h/p?token=REDACTED&page=2"),
        ("https://user:pw@h:8443/p#frag", "https://REDACTED@h:8443/p"),
        ("http://h/p?API_KEY=x&Signature=y&q=ok", "http://h/p?API_KEY=REDACTED&Signature=REDACTED&q=ok"),
        ("http://h/plain", "http://h/plain"),
        ("http://[::1]:80/x", "http://[::1]:80/x"),
        ("http://h:99999/", "<unparseable URL>"),
    ],
)
def test_redact_url_hides_credentials_and_secret_query_values(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[" * 200_000 + "]" * 200_000, "arrays or objects nested too deeply to read"),
        ('{"n": ' + "7" * 100_000 + "}", "a number has too many digits (over 4300)"),
    ],
)
def test_load_json_bounded_refuses_json_no_parser_should_build_with_a_value_error(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)) as raised:
        load_json_bounded(text)

    assert not isinstance(raised.value, json.JSONDecodeError)


@pytest.mark.parametrize(("encoding", "text"), [("utf-8", True), ("latin-1", True), ("zlib", False), ("rot13", False)])
def test_is_text_codec_tells_text_encodings_from_other_codecs(encoding: str, text: bool) -> None:
    assert is_text_codec(codecs.lookup(encoding)) is text
