"""open_response sends GETs straight to the client's httpcore pool: the same request, cookies and errors as httpx."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpcore
import httpx
import pytest
from httpx._transports.default import map_httpcore_exceptions

from airnub_prefect_starter.core.errors import DownloadError, PermanentDownloadError, PolicyViolationError
from airnub_prefect_starter.core.http.auth import Credentials
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.fetch import FetchClient, _as_httpx_error, build_http_client, open_response
from airnub_prefect_starter.core.http.policy import HttpPolicy
from tests.support.http_server import LoopbackHTTPServer, Route

POLICY = HttpPolicy(allow_private_networks=True, retries=0, retry_delay_s=0)
#: What a download sends: identity encoding, a validator, and a default header overridden in another case.
HEADERS = {"Accept-Encoding": "identity", "If-None-Match": '"v1"', "accept": "text/csv"}


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[FetchClient]:
    """A client whose requests must all go straight to its pool: httpx's own send fails the test."""
    with build_http_client(POLICY) as client:

        def not_through_httpx(*args: object, **kwargs: object) -> httpx.Response:
            raise AssertionError("sent through httpx.Client.send")

        monkeypatch.setattr(client, "send", not_through_httpx)
        yield client


def _get(client: httpx.Client, url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    with open_response(client, url, POLICY, Deadline(10), headers) as fetched:
        return fetched.response.status_code, fetched.response.read()


def test_the_pool_gets_the_request_httpx_would_send(http_server: LoopbackHTTPServer, client: FetchClient) -> None:
    url = http_server.serve("/a.csv", body=b"a")
    with httpx.Client(headers={"User-Agent": POLICY.user_agent}) as plain:  # httpx's own path, for reference
        assert _get(plain, url, HEADERS) == (200, b"a")
    assert _get(client, url, HEADERS) == (200, b"a")

    through_httpx, straight = http_server.request_headers["/a.csv"]
    assert list(straight.items()) == list(through_httpx.items())  # names, values and order
    assert straight["accept"] == "text/csv" and straight["Accept-Encoding"] == "identity"


def test_cookies_a_server_sets_go_back_to_it_as_from_httpx(
    http_server: LoopbackHTTPServer, client: FetchClient
) -> None:
    login = http_server.serve("/login", body=b"", headers={"Set-Cookie": "session=abc; Path=/"})
    data = http_server.serve("/data.csv", body=b"d")

    _get(client, login)
    _get(client, data)

    assert "Cookie" not in http_server.request_headers["/login"][0]
    assert http_server.request_headers["/data.csv"][0]["Cookie"] == "session=abc"


def test_credentials_in_the_url_are_sent_as_basic_auth(http_server: LoopbackHTTPServer) -> None:
    http_server.serve("/private.csv", body=b"p")
    url = http_server.url("/private.csv").replace("http://", "http://user:pa55@")

    with build_http_client(POLICY) as client:  # httpx's path: it turns URL credentials into basic auth
        assert _get(client, url) == (200, b"p")

    sent = http_server.request_headers["/private.csv"][0]["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"user:pa55").decode()


def test_with_trust_env_requests_go_through_httpx_where_proxies_apply(
    http_server: LoopbackHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = http_server.serve("/a.csv", body=b"a")
    sent: list[str] = []
    with build_http_client(POLICY.model_copy(update={"trust_env": True})) as client:
        send = client.send

        def spy(request: httpx.Request, **kwargs: bool) -> httpx.Response:
            sent.append(str(request.url))
            return send(request, **kwargs)

        monkeypatch.setattr(client, "send", spy)
        assert _get(client, url) == (200, b"a")

    assert sent == [url]


def test_a_plain_httpx_client_still_follows_redirects_hop_by_hop(http_server: LoopbackHTTPServer) -> None:
    http_server.serve("/final.csv", body=b"f")
    url = http_server.redirect("/start", "/final.csv")

    with httpx.Client() as plain:
        assert _get(plain, url) == (200, b"f")

    assert http_server.hits == {"/start": 1, "/final.csv": 1}


def test_a_redirect_to_an_invalid_url_is_permanent(http_server: LoopbackHTTPServer, client: FetchClient) -> None:
    url = http_server.serve("/go", Route(status=302, headers={"Location": "http://[::1"}))

    with pytest.raises(PermanentDownloadError, match="redirect to an invalid URL"):
        _get(client, url)


#: A secret query value under a key that does not look secret: only the credentials know to hide it.
SECRET_QUERY = Credentials(query={"x": "QueryS3cret"}, headers={"X-Key": "HeaderS3cret"})


def _chain(error: BaseException | None) -> str:
    """The text of ``error`` and of every exception chained to it, as a traceback shows them."""
    text = ""
    while error is not None:
        text += f"{type(error).__name__}: {error}\n"
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return text


def _failure(client: httpx.Client, url: str, policy: HttpPolicy = POLICY) -> DownloadError:
    deadline = Deadline(10)
    with pytest.raises(DownloadError) as raised, open_response(client, url, policy, deadline, credentials=SECRET_QUERY):
        pass
    return raised.value


@pytest.mark.parametrize("location", ["", "#x"])
def test_open_response_redirect_loop_names_no_secret_query_value(
    http_server: LoopbackHTTPServer, client: FetchClient, location: str
) -> None:
    url = http_server.serve("/data", Route(status=302, headers={"Location": location}))

    error = _failure(client, url + "?page=1")

    assert isinstance(error, PermanentDownloadError) and "redirect loop at hop" in str(error)
    assert http_server.request_paths["/data"][0] == "/data?page=1&x=QueryS3cret"  # it was really sent
    assert "S3cret" not in _chain(error) + error.url + error.reason
    assert str(error).endswith(f"({url}?page=1&x=REDACTED)")


def test_open_response_refused_hop_names_no_secret_a_server_echoed(
    http_server: LoopbackHTTPServer, client: FetchClient
) -> None:
    echoed = http_server.url("/next/?x=QueryS3cret").replace("127.0.0.1", "localhost")  # a trailing-slash redirect
    url = http_server.redirect("/next", echoed)
    policy = POLICY.model_copy(update={"allowed_hosts": ("127.0.0.1",)})

    error = _failure(client, url, policy)

    assert isinstance(error, PolicyViolationError) and "host 'localhost' is not in allowed_hosts" in str(error)
    assert "S3cret" not in _chain(error) + error.url + error.reason


def test_open_response_scrubs_credentials_from_any_download_error_leaving_it(
    http_server: LoopbackHTTPServer, client: FetchClient
) -> None:
    url = http_server.serve("/data", body=b"d")

    with pytest.raises(PermanentDownloadError) as raised:  # noqa: PT012 - the error comes from the caller's block
        with open_response(client, url, POLICY, Deadline(10), credentials=SECRET_QUERY) as fetched:
            raise PermanentDownloadError(fetched.final_url + "?x=QueryS3cret", "bad HeaderS3cret body")

    assert str(raised.value) == f"{url}?x=REDACTED: bad REDACTED body"
    assert (raised.value.url, raised.value.reason) == (f"{url}?x=REDACTED", "bad REDACTED body")
    assert "S3cret" not in _chain(raised.value)


@pytest.mark.parametrize(
    "error",
    [
        httpcore.ConnectTimeout,
        httpcore.ReadTimeout,
        httpcore.WriteTimeout,
        httpcore.PoolTimeout,
        httpcore.ConnectError,
        httpcore.ReadError,
        httpcore.WriteError,
        httpcore.NetworkError,
        httpcore.ProxyError,
        httpcore.UnsupportedProtocol,
        httpcore.LocalProtocolError,
        httpcore.RemoteProtocolError,
        httpcore.ProtocolError,
        httpcore.TimeoutException,
    ],
)
def test_pool_errors_become_the_httpx_errors_httpx_raises_for_them(error: type[Exception]) -> None:
    with pytest.raises(httpx.HTTPError) as raised, map_httpcore_exceptions():
        raise error("boom")

    mapped = _as_httpx_error(error("boom"))

    assert type(mapped) is type(raised.value) and str(mapped) == "boom"


def test_open_response_before_request_sees_no_secret_echoed_in_lowercase_percent_encoding(
    http_server: LoopbackHTTPServer, client: FetchClient
) -> None:
    http_server.serve("/final", body=b"f")
    url = http_server.redirect("/start", http_server.url("/final?x=a%2fb%2bc%3d"))
    seen: list[str] = []

    with open_response(
        client, url, POLICY, Deadline(10), before_request=seen.append, credentials=Credentials(query={"k": "a/b+c="})
    ) as fetched:
        assert fetched.response.status_code == 200

    assert seen == [url, http_server.url("/final?x=REDACTED")]
    assert fetched.final_url == http_server.url("/final?x=REDACTED")
