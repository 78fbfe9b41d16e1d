"""fetch sends every request through the one libcurl transport: what goes on the wire, TLS, proxies, the
address check on the connection, and no secret in any error leaving it."""

from __future__ import annotations

import base64
import hashlib
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from airnub_prefect_starter.core.errors import (
    DeadlineExceededError,
    DownloadError,
    PermanentDownloadError,
    PolicyViolationError,
    TransientDownloadError,
)
from airnub_prefect_starter.core.http.auth import Credentials
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.fetch import FetchedResponse, HttpTransport, build_http_client, fetch
from airnub_prefect_starter.core.http.policy import HttpPolicy
from tests.support.http_server import LoopbackHTTPServer, Route

POLICY = HttpPolicy(allow_private_networks=True, retries=0, retry_delay_s=0)
#: What a download sends: identity encoding, a validator, and a default header overridden.
HEADERS = {"Accept-Encoding": "identity", "If-None-Match": '"v1"', "accept": "text/csv"}


class _Buffer:
    """A body sink that keeps the body and hashes it, as the store's writer does."""

    def __init__(self) -> None:
        self.data = bytearray()

    @property
    def size_bytes(self) -> int:
        return len(self.data)

    def write(self, chunk: bytes) -> None:
        self.data += chunk

    def finish(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@pytest.fixture
def client() -> Iterator[HttpTransport]:
    with build_http_client(POLICY) as client:
        yield client


def _get(
    client: HttpTransport, url: str, headers: dict[str, str] | None = None, policy: HttpPolicy = POLICY
) -> tuple[int, bytes]:
    body = _Buffer()
    fetched = fetch(client, url, policy, Deadline(10), headers, receive=lambda _: body)
    return fetched.response.status_code, bytes(body.data)


def test_a_get_sends_the_user_agent_and_the_callers_headers_and_asks_for_no_encoding(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    url = http_server.serve("/a.csv", body=b"a")

    assert _get(client, url, HEADERS) == (200, b"a")

    sent = {k.lower(): v for k, v in http_server.request_headers["/a.csv"][0].items()}
    assert sent["user-agent"] == POLICY.user_agent
    assert sent["accept-encoding"] == "identity" and sent["if-none-match"] == '"v1"' and sent["accept"] == "text/csv"


def test_a_gzip_body_is_stored_as_sent_never_inflated(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    import gzip

    bomb = gzip.compress(b"\0" * 10_000_000)
    url = http_server.serve("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})

    assert _get(client, url) == (200, bomb)


def test_no_cookie_jar_a_cookie_a_server_sets_is_never_sent_back(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    login = http_server.serve("/login", body=b"ok", headers={"Set-Cookie": "session=abc; Path=/"})
    data = http_server.serve("/data.csv", body=b"d")

    _get(client, login)
    _get(client, data)

    assert "Cookie" not in http_server.request_headers["/data.csv"][0]


def test_kept_alive_connections_serve_the_next_requests(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    urls = [http_server.serve(f"/f{i}", body=b"x" * 100) for i in range(5)]

    for url in urls:
        _get(client, url)

    assert http_server.connections == 1


def test_credentials_in_the_url_are_sent_as_basic_auth(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    http_server.serve("/private.csv", body=b"p")
    url = http_server.url("/private.csv").replace("http://", "http://user:pa55@")

    assert _get(client, url) == (200, b"p")

    sent = http_server.request_headers["/private.csv"][0]["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"user:pa55").decode()


def test_proxies_from_the_environment_apply_only_with_trust_env(
    http_server: LoopbackHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loopback server stands in for a forward proxy: it is asked for the absolute URL."""
    target = "http://proxied.example/a.csv"
    http_server.serve(target, body=b"via proxy")
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", http_server.url(""))

    with build_http_client(POLICY.model_copy(update={"trust_env": True})) as client:
        assert _get(client, target, policy=POLICY.model_copy(update={"trust_env": True})) == (200, b"via proxy")
    with build_http_client(POLICY) as client, pytest.raises(TransientDownloadError):
        _get(client, target)  # without trust_env the name is resolved itself, and does not resolve

    assert http_server.hits[target] == 1


def test_a_host_resolving_to_loopback_is_refused_on_the_connection_itself(http_server: LoopbackHTTPServer) -> None:
    """No lookup before the request (``localhost`` passes the URL check): the address dialled is refused."""
    url = http_server.serve("/a.csv", body=b"a").replace("127.0.0.1", "localhost")
    policy = HttpPolicy(retries=0)

    with build_http_client(policy) as client, pytest.raises(PolicyViolationError) as raised:
        _get(client, url, policy=policy)

    message = str(raised.value)
    assert "a private/loopback/link-local address" in message and "allow_private_networks" in message
    assert http_server.hits == {}


def test_max_bytes_without_content_length_ends_the_transfer(http_server: LoopbackHTTPServer) -> None:
    url = http_server.serve("/big", body=b"x" * 300_000, content_length=None)
    policy = POLICY.model_copy(update={"max_bytes": 100_000})

    with build_http_client(policy) as client, pytest.raises(PermanentDownloadError, match="exceeds max_bytes 100000"):
        _get(client, url, policy=policy)


def test_the_deadline_ends_a_dripping_body(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    url = http_server.serve("/drip", body=b"x" * 100, drip_bytes=1, drip_delay_s=0.05)

    with pytest.raises(DeadlineExceededError, match="total deadline of 0.5s exceeded"):
        fetch(client, url, POLICY, Deadline(0.5), receive=lambda _: _Buffer())


def test_a_redirect_to_an_invalid_url_is_permanent(http_server: LoopbackHTTPServer, client: HttpTransport) -> None:
    url = http_server.serve("/go", Route(status=302, headers={"Location": "http://[::1"}))

    with pytest.raises(PermanentDownloadError, match="redirect to an invalid URL"):
        _get(client, url)


@pytest.fixture(scope="module")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(tls_ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with LoopbackHTTPServer(ssl_context=context) as server:
        yield server


def test_https_is_verified_against_certifis_bundle_a_private_ca_is_refused(
    https_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    url = https_server.serve("/a.csv", body=b"secure")

    with pytest.raises(PermanentDownloadError, match="TLS verification failed"):
        _get(client, url)


def test_https_with_the_ca_named_by_ssl_cert_file_under_trust_env(
    https_server: LoopbackHTTPServer, tls_ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = https_server.serve("/a.csv", body=b"secure")
    bundle = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    policy = POLICY.model_copy(update={"trust_env": True})

    with build_http_client(policy) as client:
        assert _get(client, url, policy=policy) == (200, b"secure")


#: A secret query value under a key that does not look secret: only the credentials know to hide it.
SECRET_QUERY = Credentials(query={"x": "QueryS3cret"}, headers={"X-Key": "HeaderS3cret"})


def _chain(error: BaseException | None) -> str:
    """The text of ``error`` and of every exception chained to it, as a traceback shows them."""
    text = ""
    while error is not None:
        text += f"{type(error).__name__}: {error}\n"
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return text


def _failure(client: HttpTransport, url: str, policy: HttpPolicy = POLICY) -> DownloadError:
    with pytest.raises(DownloadError) as raised:
        fetch(client, url, policy, Deadline(10), credentials=SECRET_QUERY, receive=lambda _: _Buffer())
    return raised.value


@pytest.mark.parametrize("location", ["", "#x"])
def test_fetch_redirect_loop_names_no_secret_query_value(
    http_server: LoopbackHTTPServer, client: HttpTransport, location: str
) -> None:
    url = http_server.serve("/data", Route(status=302, headers={"Location": location}))

    error = _failure(client, url + "?page=1")

    assert isinstance(error, PermanentDownloadError) and "redirect loop at hop" in str(error)
    assert http_server.request_paths["/data"][0] == "/data?page=1&x=QueryS3cret"  # it was really sent
    assert "S3cret" not in _chain(error) + error.url + error.reason
    assert str(error).endswith(f"({url}?page=1&x=REDACTED)")


def test_fetch_refused_hop_names_no_secret_a_server_echoed(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    echoed = http_server.url("/next/?x=QueryS3cret").replace("127.0.0.1", "localhost")  # a trailing-slash redirect
    url = http_server.redirect("/next", echoed)
    policy = POLICY.model_copy(update={"allowed_hosts": ("127.0.0.1",)})

    error = _failure(client, url, policy)

    assert isinstance(error, PolicyViolationError) and "host 'localhost' is not in allowed_hosts" in str(error)
    assert "S3cret" not in _chain(error) + error.url + error.reason


def test_fetch_scrubs_credentials_from_an_error_its_receiver_raises(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    url = http_server.serve("/data", body=b"d")

    def refuse(fetched: FetchedResponse) -> _Buffer:
        raise PermanentDownloadError(fetched.final_url + "?x=QueryS3cret", "bad HeaderS3cret body")

    with pytest.raises(PermanentDownloadError) as raised:
        fetch(client, url, POLICY, Deadline(10), credentials=SECRET_QUERY, receive=refuse)

    assert str(raised.value) == f"{url}?x=REDACTED: bad REDACTED body"
    assert (raised.value.url, raised.value.reason) == (f"{url}?x=REDACTED", "bad REDACTED body")
    assert "S3cret" not in _chain(raised.value)


def test_fetch_before_request_sees_no_secret_echoed_in_lowercase_percent_encoding(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    http_server.serve("/final", body=b"f")
    url = http_server.redirect("/start", http_server.url("/final?x=a%2fb%2bc%3d"))
    seen: list[str] = []

    fetched = fetch(
        client,
        url,
        POLICY,
        Deadline(10),
        before_request=seen.append,
        credentials=Credentials(query={"k": "a/b+c="}),
        receive=lambda _: _Buffer(),
    )

    assert fetched.response.status_code == 200
    assert seen == [url, http_server.url("/final?x=REDACTED")]
    assert fetched.final_url == http_server.url("/final?x=REDACTED")


def test_netrc_credentials_are_sent_only_under_trust_env(
    http_server: LoopbackHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = http_server.serve("/private.csv", body=b"p")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login reader password n3trc\n")
    monkeypatch.setenv("NETRC", str(netrc))
    trusting = POLICY.model_copy(update={"trust_env": True})

    with build_http_client(POLICY) as client:
        _get(client, url)
    with build_http_client(trusting) as client:
        _get(client, url, policy=trusting)

    first, second = http_server.request_headers["/private.csv"]
    assert "Authorization" not in first
    assert second["Authorization"] == "Basic " + base64.b64encode(b"reader:n3trc").decode()


def test_an_error_page_too_long_to_drain_fails_at_once_not_when_its_body_ends(
    http_server: LoopbackHTTPServer, client: HttpTransport
) -> None:
    """A 404 whose 1 MB body drips for over 5 s: the connection is closed at the status, well inside the 2 s
    deadline (reading the body first would end in the deadline's error instead)."""
    url = http_server.serve("/gone", status=404, body=b"x" * 1_000_000, drip_bytes=10_000, drip_delay_s=0.05)

    with pytest.raises(PermanentDownloadError, match="HTTP 404"):
        fetch(client, url, POLICY, Deadline(2), receive=lambda _: _Buffer())


def test_a_read_timeout_on_a_kept_alive_connection_is_a_read_timeout_not_a_connect_failure(
    http_server: LoopbackHTTPServer,
) -> None:
    first = http_server.serve("/a", body=b"a")
    slow = http_server.serve("/b", body=b"b", response_delay_s=4)
    policy = POLICY.model_copy(update={"read_timeout_s": 1})

    with build_http_client(policy) as client:
        _get(client, first, policy=policy)
        with pytest.raises(TransientDownloadError) as raised:
            _get(client, slow, policy=policy)

    assert raised.value.reason == "timed out (ReadTimeout)" and "ConnectError" not in _chain(raised.value)


def test_an_upper_case_http_proxy_applies_under_trust_env_as_for_httpx(
    http_server: LoopbackHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = "http://proxied.example/b.csv"
    http_server.serve(target, body=b"via PROXY")
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", http_server.url(""))
    trusting = POLICY.model_copy(update={"trust_env": True})

    with build_http_client(trusting) as client:
        assert _get(client, target, policy=trusting) == (200, b"via PROXY")


def test_the_engine_ends_only_the_transfer_it_cannot_start(http_server: LoopbackHTTPServer) -> None:
    import pycurl

    from airnub_prefect_starter.core.http.engine import CurlEngine

    engine = CurlEngine()
    broken = pycurl.Curl()
    broken.close()
    good = pycurl.Curl()
    good.setopt(pycurl.URL, http_server.serve("/ok", body=b"ok"))
    good.setopt(pycurl.WRITEFUNCTION, lambda chunk: None)
    try:
        code, message = engine.perform(broken, wait_s=10)
        assert code == -1 and "cannot start the transfer" in message
        assert engine.perform(good, wait_s=10) == (0, "")
    finally:
        engine.close()
        good.close()
