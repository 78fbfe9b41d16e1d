"""Link extraction from HTML, and page scraping through the store."""

from __future__ import annotations

import re
import time

import pytest

from airnub_prefect_starter.core.errors import PermanentDownloadError, ResponseContentError
from airnub_prefect_starter.core.http.auth import SourceAuth
from airnub_prefect_starter.ingestion.config import LinkFollowing, PageToScrape
from airnub_prefect_starter.ingestion.links import extract_links, links_matching
from airnub_prefect_starter.ingestion.scraping import files_to_follow, scrape_page_links
from tests.conftest import IngestEnv
from tests.support.http_server import LoopbackHTTPServer

PAGE = """<html><head><title>Data</title></head><body>
<a href="files/a.csv">Dataset <b>A</b></a>
<a href="/files/b.csv?v=1#section">B</a>
<a href="files/a.csv#again">A again</a>
<a href="javascript:alert(1)">js</a> <a href="mailto:x@example.org">mail</a>
<a href="data:text/plain,hi">data</a> <a href="#top">top</a> <a>no href</a>
<a href="https://other.example.org/c.csv">C</a>
</body></html>"""


def test_extract_links_resolves_relative_and_drops_non_web_schemes() -> None:
    extraction = extract_links(PAGE, "http://example.org/pages/index.html")

    assert [(link.url, link.title) for link in extraction.links] == [
        ("http://example.org/pages/files/a.csv", "Dataset A"),
        ("http://example.org/files/b.csv?v=1", "B"),
        ("https://other.example.org/c.csv", "C"),
    ]
    assert extraction.truncated is False


def test_extract_links_honours_first_base_href() -> None:
    html = '<base href="http://cdn.example.org/d/"><base href="http://ignored/"><a href="x.csv">x</a>'

    extraction = extract_links(html, "http://example.org/page.html")

    assert [link.url for link in extraction.links] == ["http://cdn.example.org/d/x.csv"]


def test_extract_links_stops_at_link_limit_on_hostile_page() -> None:
    html = "".join(f'<a href="/f{i}.csv">{i}</a>' for i in range(200_000))
    started = time.monotonic()

    extraction = extract_links(html, "http://example.org/", max_links=1000)

    assert len(extraction.links) == 1000 and extraction.truncated is True
    assert time.monotonic() - started < 5


def test_links_matching_filters_by_pattern() -> None:
    links = extract_links(PAGE, "http://example.org/").links

    assert [link.url for link in links_matching(links, [r"\.csv$"])] == [
        "http://example.org/files/a.csv",
        "https://other.example.org/c.csv",
    ]


def test_scrape_stores_page_and_returns_links(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve(
        "/pages/index.html", body=PAGE.encode(), headers={"Content-Type": "text/html; charset=utf-8"}
    )

    result = scrape_page_links(PageToScrape(name="index", url=url), ingest_env.ctx())

    assert result.page.path.read_text() == PAGE
    assert result.links[0].url == http_server.url("/pages/files/a.csv")


def test_scrape_refuses_huge_page(http_server: LoopbackHTTPServer, ingest_env: IngestEnv) -> None:
    url = http_server.serve("/huge.html", body=b"<a href='x'>" * 200_000, content_length=None)

    with pytest.raises(PermanentDownloadError, match="body exceeds max_bytes 100000"):
        scrape_page_links(PageToScrape(name="huge", url=url), ingest_env.ctx(max_bytes=100_000))

    assert ingest_env.objects() == [] and ingest_env.temp_files() == []


def test_malformed_links_are_skipped_and_counted_and_the_rest_of_the_page_is_kept() -> None:
    bad = '<a href="http://[::1">bad host</a> <a href="http://h:99999/x">bad port</a> <a href="https:///x">no host</a>'

    extraction = extract_links(bad + ' <a href="data/good.csv">good</a>', "http://site.test/index.html")

    assert [link.url for link in extraction.links] == ["http://site.test/data/good.csv"]
    assert extraction.malformed == 3


def test_extract_links_keeps_the_page_url_as_base_when_base_href_is_not_a_valid_url() -> None:
    html = '<base href="http://[::1"><base href="http://cdn.test/"><a href="x.csv">x</a>'

    extraction = extract_links(html, "http://site.test/p/index.html")

    assert [link.url for link in extraction.links] == ["http://site.test/p/x.csv"]
    assert extraction.malformed == 1


def test_extract_links_reads_an_unknown_marked_section_as_a_comment() -> None:
    html = '<![ foo ]><a href="/a.csv">a</a><![CDATA[<a href="/hidden.csv">h</a>]]><![if x]><a href="/b.csv">b</a>'

    extraction = extract_links(html, "http://site.test/")

    assert [link.url for link in extraction.links] == ["http://site.test/a.csv", "http://site.test/b.csv"]


@pytest.mark.parametrize("charset", ["zlib", "rot13", "base64", "undefined", "idna", "no-such-charset"])
def test_scrape_reads_a_page_as_utf8_when_its_charset_is_not_a_usable_text_encoding(
    charset: str, http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    body = '<a href="/files/caf\u00e9.csv">caf\u00e9</a>'.encode()
    url = http_server.serve("/p.html", body=body, headers={"Content-Type": f"text/html; charset={charset}"})

    result = scrape_page_links(PageToScrape(name="p", url=url), ingest_env.ctx())

    assert [(link.url, link.title) for link in result.links] == [(http_server.url("/files/caf\u00e9.csv"), "caf\u00e9")]


def test_scrape_reads_a_page_in_its_declared_text_charset(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    body = '<a href="/b.csv">caf\u00e9</a>'.encode("utf-16")
    url = http_server.serve("/p.html", body=body, headers={"Content-Type": "text/html; charset=UTF-16"})

    result = scrape_page_links(PageToScrape(name="p", url=url), ingest_env.ctx())

    assert [(link.url, link.title) for link in result.links] == [(http_server.url("/b.csv"), "caf\u00e9")]


def test_scrape_fails_naming_the_url_when_the_page_cannot_be_read_in_its_charset(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    url = http_server.serve(
        "/p.html", body=b"<html>no byte order mark</html>", headers={"Content-Type": "text/html; charset=utf-16"}
    )

    with pytest.raises(
        ResponseContentError, match=rf"^{re.escape(url)}: page cannot be read as utf-16 \(its Content-Type charset\): "
    ):
        scrape_page_links(PageToScrape(name="p", url=url), ingest_env.ctx())


def test_scrape_resolves_links_against_the_page_it_was_redirected_to_and_gives_them_no_auth_of_the_first_origin(
    http_server: LoopbackHTTPServer, ingest_env: IngestEnv
) -> None:
    moved = http_server.url("/new/index.html").replace("127.0.0.1", "localhost")  # another origin
    http_server.serve("/new/index.html", body=b'<a href="files/a.bin">A</a>', headers={"Content-Type": "text/html"})
    url = http_server.redirect("/index.html", moved)
    follow = LinkFollowing(patterns=[r"\.bin$"], auth=SourceAuth(bearer_secret_block="token"))

    result = scrape_page_links(PageToScrape(name="p", url=url), ingest_env.ctx())
    [file] = files_to_follow([(url, result.page.final_url, result.links)], follow)

    assert result.page.final_url == moved
    assert file.url == moved.replace("index.html", "files/a.bin") and file.auth is None
