"""DemoSource over real HTTP on 127.0.0.1: bytes, validators, conditional requests, HEAD, 404, ports."""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import pickle

import httpx
import pytest

from airnub_prefect_starter.demo.catalog import LAST_MODIFIED, load_demo_catalog
from airnub_prefect_starter.demo.server import DemoPortInUseError, DemoSource
from airnub_prefect_starter.ingestion.links import extract_links, links_matching
from tests.demo.conftest import sklearn_bytes

FILES = [
    ("/files/iris.csv", "iris.csv", "text/csv; charset=utf-8"),
    ("/files/wine_data.csv", "wine_data.csv", "text/csv; charset=utf-8"),
    ("/files/breast_cancer.csv", "breast_cancer.csv", "text/csv; charset=utf-8"),
    ("/files/linnerud_physiological.csv", "linnerud_physiological.csv", "text/plain"),
    ("/files/linnerud_exercise.csv", "linnerud_exercise.csv", "text/plain"),
]


@pytest.mark.parametrize(("path", "filename", "content_type"), FILES)
def test_demo_source_serves_sklearn_files_byte_for_byte(
    demo_client: httpx.Client, path: str, filename: str, content_type: str
) -> None:
    response = demo_client.get(path)

    expected = sklearn_bytes(filename)
    assert response.status_code == 200
    assert response.content == expected
    assert response.headers["content-type"] == content_type
    assert response.headers["content-length"] == str(len(expected))
    assert response.headers["etag"] == f'"{hashlib.sha256(expected).hexdigest()}"'
    assert response.headers["last-modified"] == LAST_MODIFIED
    assert response.headers["server"] == "AirnubDemoSource/1.0"


def test_demo_source_iris_csv_has_sklearn_layout(demo_client: httpx.Client) -> None:
    lines = demo_client.get("/files/iris.csv").text.splitlines()

    assert lines[0] == "150,4,setosa,versicolor,virginica"
    assert len(lines) == 151
    assert {line.rsplit(",", 1)[1] for line in lines[1:]} == {"0", "1", "2"}


def test_demo_source_wine_records_match_first_csv_row(demo_client: httpx.Client) -> None:
    response = demo_client.get("/api/v1/wine/records")

    document = response.json()
    first_row = sklearn_bytes("wine_data.csv").decode().splitlines()[1].split(",")
    assert response.headers["content-type"] == "application/json"
    assert len(document["records"]) == 178
    assert len(document["feature_names"]) == 13
    first = document["records"][0]
    assert [first[name] for name in document["feature_names"]] == [float(v) for v in first_row[:13]]
    assert first["alcohol"] == 14.23 and first["proline"] == 1065.0 and first["target"] == int(first_row[13]) == 0


def test_demo_source_datasets_api_hashes_match_served_files(demo_client: httpx.Client) -> None:
    datasets = demo_client.get("/api/v1/datasets").json()["datasets"]

    assert {d["name"] for d in datasets} >= {"iris", "wine", "breast_cancer"}
    for dataset in datasets:
        served = demo_client.get(dataset["url"])
        assert hashlib.sha256(served.content).hexdigest() == dataset["sha256"]
        assert served.headers["etag"] == f'"{dataset["sha256"]}"'


def test_demo_source_broken_api_returns_html(demo_client: httpx.Client) -> None:
    response = demo_client.get("/api/v1/broken")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_demo_source_returns_304_without_body_for_matching_etag(
    demo_source: DemoSource, demo_client: httpx.Client
) -> None:
    etag = demo_client.get("/files/iris.csv").headers["etag"]

    response = demo_client.get("/files/iris.csv", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert "content-type" not in response.headers
    assert demo_source.hits["/files/iris.csv"] == 2


@pytest.mark.parametrize("header", ['W/"{sha}"', '"other", "{sha}"', "*"])
def test_demo_source_returns_304_for_weak_listed_or_star_etag(demo_client: httpx.Client, header: str) -> None:
    sha = hashlib.sha256(sklearn_bytes("iris.csv")).hexdigest()

    response = demo_client.get("/files/iris.csv", headers={"If-None-Match": header.format(sha=sha)})

    assert response.status_code == 304


def test_demo_source_returns_200_for_stale_etag(demo_client: httpx.Client) -> None:
    response = demo_client.get("/files/iris.csv", headers={"If-None-Match": '"stale"'})

    assert response.status_code == 200
    assert response.content == sklearn_bytes("iris.csv")


@pytest.mark.parametrize(
    ("since", "status"),
    [
        (LAST_MODIFIED, 304),
        ("Tue, 07 Jan 2025 00:00:00 GMT", 304),
        ("Sun, 05 Jan 2025 23:59:59 GMT", 200),
        ("not a date", 200),
    ],
)
def test_demo_source_honours_if_modified_since(demo_client: httpx.Client, since: str, status: int) -> None:
    response = demo_client.get("/api/v1/datasets", headers={"If-Modified-Since": since})

    assert response.status_code == status
    assert (response.content == b"") is (status == 304)


def test_demo_source_if_none_match_wins_over_if_modified_since(demo_client: httpx.Client) -> None:
    response = demo_client.get(
        "/files/iris.csv", headers={"If-None-Match": '"stale"', "If-Modified-Since": LAST_MODIFIED}
    )

    assert response.status_code == 200


def test_demo_source_returns_404_for_unknown_path(demo_source: DemoSource, demo_client: httpx.Client) -> None:
    response = demo_client.get("/files/nope.csv")

    assert response.status_code == 404
    assert "etag" not in response.headers
    assert demo_source.hits["/files/nope.csv"] == 1


def test_demo_source_head_sends_headers_without_body(demo_client: httpx.Client) -> None:
    head = demo_client.head("/files/wine_data.csv")
    get = demo_client.get("/files/wine_data.csv")  # the same keep-alive connection stays usable after HEAD

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content)) == str(len(sklearn_bytes("wine_data.csv")))
    assert head.headers["etag"] == get.headers["etag"]


def test_demo_source_keeps_connection_alive(demo_source: DemoSource) -> None:
    paths = ("/files/iris.csv", "/pages/index.html", "/api/v1/datasets")
    connection = http.client.HTTPConnection("127.0.0.1", demo_source.port, timeout=10)
    bodies, local_ports = [], set()
    try:
        for path in paths:
            connection.request("GET", path)
            response = connection.getresponse()
            bodies.append(response.read())
            assert response.version == 11 and response.will_close is False
            local_ports.add(connection.sock.getsockname()[1])
    finally:
        connection.close()

    assert bodies == [load_demo_catalog()[path].body for path in paths]
    assert len(local_ports) == 1  # all three requests went over one TCP connection


def test_demo_source_counts_hits_per_path_without_query(demo_source: DemoSource, demo_client: httpx.Client) -> None:
    demo_client.get("/pages/index.html")
    demo_client.get("/pages/index.html?utm=1")
    demo_client.head("/files/iris.csv")

    assert demo_source.hits == {"/pages/index.html": 2, "/files/iris.csv": 1}


def test_demo_source_index_page_links_three_csvs_and_distractors(
    demo_source: DemoSource, demo_client: httpx.Client
) -> None:
    page_url = demo_source.url("/pages/index.html")
    html = demo_client.get("/pages/index.html").text

    links = extract_links(html, page_url).links

    for href in ('href="mailto:', 'href="javascript:', 'href="#', 'href="about.html"', "https://archive.ics.uci.edu/"):
        assert href in html
    assert [link.url for link in links_matching(links, [r"\.csv$"])] == [
        demo_source.url("/files/iris.csv"),
        demo_source.url("/files/wine_data.csv"),
        demo_source.url("/files/breast_cancer.csv"),
    ]
    assert {link.url for link in links} == {
        demo_source.url("/files/iris.csv"),
        demo_source.url("/files/wine_data.csv"),
        demo_source.url("/files/breast_cancer.csv"),
        demo_source.url("/pages/about.html"),
        "https://archive.ics.uci.edu/",
    }
    assert all(link.title for link in links)
    for link in links:
        if link.url.startswith(demo_source.base_url):
            assert demo_client.get(link.url).status_code == 200


def test_demo_source_about_page_links_resolve_through_base_href(
    demo_source: DemoSource, demo_client: httpx.Client
) -> None:
    html = demo_client.get("/pages/about.html").text

    csv_links = links_matching(extract_links(html, demo_source.url("/pages/about.html")).links, [r"\.csv$"])

    assert '<base href="/files/">' in html
    assert [link.url for link in csv_links] == [
        demo_source.url("/files/linnerud_physiological.csv"),
        demo_source.url("/files/linnerud_exercise.csv"),
    ]
    assert [demo_client.get(link.url).content for link in csv_links] == [
        sklearn_bytes("linnerud_physiological.csv"),
        sklearn_bytes("linnerud_exercise.csv"),
    ]


def _snapshot(source: DemoSource) -> dict[str, tuple[bytes, str]]:
    with httpx.Client(timeout=10.0) as client:
        responses = {path: client.get(source.url(path)) for path in load_demo_catalog()}
    return {path: (r.content, r.headers["etag"]) for path, r in responses.items()}


def test_demo_source_serves_identical_bytes_and_etags_across_starts() -> None:
    with DemoSource(port=0) as first:
        before = _snapshot(first)
    load_demo_catalog.cache_clear()  # rebuild everything from the files
    with DemoSource(port=0) as second:
        after = _snapshot(second)

    assert len(before) == 10
    assert before == after


def test_demo_source_refuses_taken_port_naming_port_and_env(taken_port: int) -> None:
    source = DemoSource(port=taken_port)

    with pytest.raises(DemoPortInUseError, match=rf"127\.0\.0\.1:{taken_port}.*AIRNUB_DEMO_PORT") as caught:
        source.start()

    assert isinstance(caught.value, OSError) and caught.value.errno == errno.EADDRINUSE
    assert caught.value.port == taken_port
    assert not source.running


def test_demo_source_refuses_port_of_running_demo_source(demo_source: DemoSource) -> None:
    with pytest.raises(DemoPortInUseError, match=str(demo_source.port)), DemoSource(port=demo_source.port):
        pass


def test_demo_port_in_use_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(DemoPortInUseError(18765)))

    assert isinstance(error, DemoPortInUseError)
    assert (error.port, error.errno) == (18765, errno.EADDRINUSE)
    assert "18765" in str(error) and "AIRNUB_DEMO_PORT" in str(error)


def test_demo_source_stops_listening_after_exit() -> None:
    with DemoSource(port=0) as source:
        url = source.url("/files/iris.csv")
        with httpx.Client(timeout=5.0) as client:
            assert client.get(url).status_code == 200  # leaves an idle keep-alive connection open

    assert not source.running
    assert source.hits == {"/files/iris.csv": 1}
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5.0)


def test_demo_source_url_needs_a_running_source() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        DemoSource(port=0).url("/files/iris.csv")
