"""Small pure helpers: safe file names, streaming SHA-256, URL redaction, bounded JSON, text codecs."""

from __future__ import annotations

import codecs
import functools
import hashlib
import json
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = [
    "MAX_FILENAME_BYTES",
    "generate_sha256_hash",
    "is_text_codec",
    "load_json_bounded",
    "redact_url",
    "sanitize_filename",
    "sha256_file",
    "sha256_stream",
]

#: Room is left under the usual 255-byte limit for the ``.manifest.json`` suffix written beside each object.
MAX_FILENAME_BYTES = 200
_CHUNK = 1024 * 1024
_FORBIDDEN_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# Characters that change how a name is displayed without being visible: bidi overrides, zero-width marks.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_SECRET_QUERY_KEY = re.compile(
    r"(token|key|secret|password|passwd|pwd|auth|signature|sig|credential|session|sessionid|code|jwt|bearer)",
    re.IGNORECASE,
)
REDACTED = "REDACTED"


def sanitize_filename(name: str, fallback: str = "download") -> str:
    """Return a safe, single-component file name derived from ``name``.

    Directory parts (``/`` and ``\\``) are dropped, control, bidi and forbidden characters removed, leading
    dots and trailing dots/spaces stripped, Windows device names prefixed with ``_``, and the result is cut to
    :data:`MAX_FILENAME_BYTES` UTF-8 bytes keeping the extension. Never returns ``""``, ``"."`` or ``".."``.
    """
    last_part = re.split(r"[/\\]", name)[-1]
    text = unicodedata.normalize("NFC", last_part)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    text = _FORBIDDEN_CHARS.sub("_", text)
    text = text.strip().lstrip(".").rstrip(". ")
    if not text:
        text = sanitize_filename(fallback) if fallback != name else "download"
    stem = text.split(".", 1)[0]
    if stem.upper() in _WINDOWS_RESERVED:
        text = f"_{text}"
    return _truncate_keeping_suffix(text, MAX_FILENAME_BYTES)


def _truncate_keeping_suffix(text: str, max_bytes: int) -> str:
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    suffix = Path(text).suffix
    if len(suffix.encode("utf-8")) > 16:  # an "extension" that long is part of the name, not a type
        suffix = ""
    stem = text[: len(text) - len(suffix)] if suffix else text
    budget = max_bytes - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(". ")
    return f"{cut}{suffix}"


def generate_sha256_hash(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_stream(chunks: Iterable[bytes]) -> tuple[str, int]:
    """Hex SHA-256 and byte count of a stream of chunks, read once."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (constant memory)."""
    with path.open("rb") as handle:
        digest, _ = sha256_stream(iter(lambda: handle.read(_CHUNK), b""))
    return digest


def url_carries_secret(url: str) -> bool:
    """True when ``url`` has credentials (``user:password@``) or a value for a secret-looking query key: what
    :func:`redact_url` would hide."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.username or parts.password:
        return True
    return any(value and _SECRET_QUERY_KEY.search(key) for key, value in parse_qsl(parts.query, keep_blank_values=True))


@functools.lru_cache(maxsize=4096)  # pure, and asked several times per download for the same URL
def redact_url(url: str) -> str:
    """``url`` without credentials, fragment, or the values of query keys that look secret.

    ``https://u:pw@h/p?token=abc&page=2#x`` -> ``https://REDACTED@h/p?token=REDACTED&page=2``.
    Unparseable input is returned as ``<unparseable URL>`` so a hostile string never reaches a log.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable URL>"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{REDACTED}@{host}{port}" if (parts.username or parts.password) else f"{host}{port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, REDACTED if _SECRET_QUERY_KEY.search(k) else v) for k, v in pairs], quote_via=quote, safe="/"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def load_json_bounded(text: str) -> Any:
    """``text`` parsed as JSON. A :class:`ValueError` (a :class:`json.JSONDecodeError` when it is not JSON) also
    for JSON no parser should be asked to build: arrays or objects nested deeper than the interpreter's recursion
    limit, or an integer of more digits than ``int`` converts; its message says which."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise ValueError("arrays or objects nested too deeply to read") from None
    except ValueError:  # int(): more digits than sys.get_int_max_str_digits()
        raise ValueError(f"a number has too many digits (over {sys.get_int_max_str_digits()})") from None


def is_text_codec(info: codecs.CodecInfo) -> bool:
    """Whether ``info`` is a text encoding (bytes to str), not a codec such as ``zlib``, ``base64`` or ``rot13``
    (bytes to bytes, str to str). Python marks those only with a private attribute, read here and nowhere else."""
    return bool(getattr(info, "_is_text_encoding", True))
