"""Credentials for a source, taken from Prefect Secret blocks: a Bearer token, basic auth, headers, query values.

:class:`SourceAuth` is the ``auth:`` section of a file, API or page in a config; it names Secret blocks, never
holds a value. :meth:`SourceAuth.credentials` turns it, with the loaded block values, into
:class:`Credentials`, which :func:`~airnub_prefect_starter.core.http.fetch.fetch` sends to the source's
own origin only (a redirect to another scheme, host or port drops them) and keeps out of every URL it reports.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, model_validator

from airnub_prefect_starter.core.config import ConfigModel
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.http.policy import host_matches, origin_of

__all__ = [
    "NO_CREDENTIALS",
    "SECRET_PLACEHOLDER",
    "BasicAuth",
    "Credentials",
    "SecretBlockName",
    "SourceAuth",
    "credentials_may_go_to",
]

#: Value of a Secret block created before its real value was known; a request refuses to send it.
SECRET_PLACEHOLDER = "REPLACE_ME"
REDACTED = "REDACTED"

SecretBlockName = Annotated[
    str, Field(pattern=r"^[a-z0-9-]+$", description="Name of a Prefect Secret block (lowercase, digits, '-').")
]
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token


class BasicAuth(ConfigModel):
    """HTTP basic auth: a user name in the config, its password in a Secret block."""

    username: str = Field(min_length=1, description="User name (not a secret).")
    password_secret_block: SecretBlockName = Field(description="Secret block holding the password.")


class SourceAuth(ConfigModel):
    """How a source authenticates; every value comes from a Prefect Secret block (``airnub blocks setup``)."""

    bearer_secret_block: SecretBlockName | None = Field(
        default=None, description="Secret block whose value is sent as 'Authorization: Bearer <value>'."
    )
    basic: BasicAuth | None = Field(default=None, description="HTTP basic auth (user name + password block).")
    headers: dict[str, SecretBlockName] = Field(
        default_factory=dict, description="Header name -> Secret block whose value is sent in it (e.g. X-API-Key)."
    )
    query: dict[str, SecretBlockName] = Field(
        default_factory=dict,
        description="Query parameter -> Secret block whose value is added to the request URL (never to a manifest).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SourceAuth:
        if self.bearer_secret_block and self.basic:
            raise ValueError("bearer_secret_block and basic both set the Authorization header: choose one")
        if not (self.bearer_secret_block or self.basic or self.headers or self.query):
            raise ValueError("empty: set bearer_secret_block, basic, headers or query")
        for name in self.headers:
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"headers: '{name}' is not a valid header name")
            if name.lower() == "authorization" and (self.bearer_secret_block or self.basic):
                raise ValueError("headers: Authorization is already set by bearer_secret_block or basic")
        return self

    def secret_blocks(self) -> set[str]:
        """Every Secret block this section names."""
        blocks = {*self.headers.values(), *self.query.values()}
        if self.bearer_secret_block:
            blocks.add(self.bearer_secret_block)
        if self.basic:
            blocks.add(self.basic.password_secret_block)
        return blocks

    def credentials(self, secrets: Mapping[str, str], source: str) -> Credentials:
        """The headers and query values to send, from the loaded block values; a block that was not loaded, or
        still holds the placeholder, is a :class:`ConfigError` naming ``source`` and the block."""

        def value(block: str) -> str:
            found = secrets.get(block)
            if found is None:
                raise ConfigError(f"{source}: auth: Secret block '{block}' was not found (run `airnub blocks setup`)")
            if found == SECRET_PLACEHOLDER:
                raise ConfigError(f"{source}: auth: Secret block '{block}' still holds the placeholder; set its value")
            return found

        headers = {name: value(block) for name, block in self.headers.items()}
        raw: set[str] = set()
        if self.bearer_secret_block:
            raw.add(value(self.bearer_secret_block))
            headers["Authorization"] = f"Bearer {value(self.bearer_secret_block)}"
        if self.basic:
            raw.add(value(self.basic.password_secret_block))
            pair = f"{self.basic.username}:{value(self.basic.password_secret_block)}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        query = {name: value(block) for name, block in self.query.items()}
        return Credentials(headers=headers, query=query, raw_secrets=frozenset(raw))


@dataclass(frozen=True)
class Credentials:
    """Secret request headers and query values for one source's origin."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    #: Secret values sent only inside a header value (a Bearer token, a basic-auth password): never sent on
    #: their own, but a server may echo them, so :meth:`scrub` replaces them too.
    raw_secrets: frozenset[str] = frozenset()

    def request_url(self, url: str) -> str:
        """``url`` with the secret query values added (replacing parameters of the same name)."""
        if not self.query:
            return url
        parts = urlsplit(url)
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in self.query]
        return urlunsplit(parts._replace(query=urlencode([*kept, *self.query.items()])))

    def scrub(self, text: str) -> str:
        """``text`` with every secret value (as sent, or percent-encoded in any way: any character escaped or
        not, hex digits in either case, a space as ``+``) replaced by ``REDACTED``."""
        secrets = {*self.headers.values(), *self.query.values(), *self.raw_secrets} - {""}
        if not secrets:
            return text
        longest_first = sorted(secrets, key=len, reverse=True)
        return re.sub("|".join(_any_encoding(s) for s in longest_first), REDACTED, text)


def _any_encoding(secret: str) -> str:
    """A pattern matching ``secret`` with each character as is or percent-encoded (UTF-8, hex in either case),
    a space also as ``+``: every form quote/quote_plus give, and what a server echoing it may send."""
    parts = []
    for char in secret:
        encoded = "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        forms = [re.escape(char), f"(?i:{re.escape(encoded)})", *([r"\+"] if char == " " else [])]
        parts.append(f"(?:{'|'.join(forms)})")
    return "".join(parts)


NO_CREDENTIALS = Credentials()


def credentials_may_go_to(url: str, origin_url: str, hosts: Iterable[str] = ()) -> bool:
    """Whether credentials configured for ``origin_url``'s site may be sent to ``url``: it has the same origin
    (scheme, host, port), or its host is one of ``hosts`` (see :func:`host_matches`) on any port, without going
    from https down to http."""
    if origin_of(url) == origin_of(origin_url):
        return True
    scheme, host, _ = origin_of(url)
    downgrade = scheme != "https" and origin_of(origin_url)[0] == "https"
    return bool(host) and not downgrade and host_matches(host, hosts)
