"""follow_links.same_host: a scraped page's links are followed on its own host only, or on any host."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.ingestion.config import LinkFollowing
from airnub_prefect_starter.ingestion.links import ExtractedLink
from airnub_prefect_starter.ingestion.scraping import files_to_follow
from flows.dept_project_alpha.ingestion_flow_dept_project_alpha import ingestion_flow_dept_project_alpha
from tests.support.http_server import LoopbackHTTPServer

PAGE = "https://site.example/files/"
LINKS = [
    "https://cdn.example.org/off-site.bin",  # first, so that it would take the only place under the cap
    "https://site.example/a.bin",
    "http://SITE.example.:8080/b.bin",  # the same host, written otherwise, on another scheme and port
    "https://sub.site.example/c.bin",  # a subdomain is another host
]


def _followed(**follow: object) -> list[str]:
    links = [ExtractedLink(url=u, title="") for u in LINKS]
    return [f.name for f in files_to_follow([(PAGE, PAGE, links)], LinkFollowing(patterns=[r"\.bin$"], **follow))]


def test_files_to_follow_follows_links_on_any_host_by_default() -> None:
    assert _followed() == ["off-site.bin", "a.bin", "b.bin", "c.bin"]


def test_files_to_follow_keeps_the_pages_host_only_when_same_host() -> None:
    assert _followed(same_host=True) == ["a.bin", "b.bin"]


def test_files_to_follow_caps_the_same_host_links_not_the_off_site_ones() -> None:
    assert _followed(same_host=True, max_files_per_page=1) == ["a.bin"]


@pytest.mark.parametrize(("same_host", "off_site_requested"), [(True, False), (False, True)])
def test_scraping_follows_a_link_to_another_host_only_without_same_host(
    http_server: LoopbackHTTPServer, data_dir: Path, same_host: bool, off_site_requested: bool
) -> None:
    elsewhere = http_server.url("/elsewhere.csv").replace("127.0.0.1", "localhost")  # same server, another host
    page = f'<a href="/here.csv">here</a> <a href="{elsewhere}">elsewhere</a>'.encode()
    page_url = http_server.serve("/index.html", body=page, headers={"Content-Type": "text/html"})
    http_server.serve("/here.csv", body=b"a\n1\n")
    http_server.serve("/elsewhere.csv", body=b"b\n2\n")
    config = {
        "http": {"allow_private_networks": True, "retries": 0},
        "web_page_link_scraping": {
            "data_source_name": "linked",
            "local_manifests_storage_base": "pages",
            "local_artifacts_storage_base": "files",
            "pages_to_scrape": [{"name": "index", "url": page_url}],
            "follow_links": {"patterns": [r"\.csv$"], "same_host": same_host},
        },
    }

    state = ingestion_flow_dept_project_alpha(config=config, return_state=True)

    assert state.is_completed(), state.message
    assert "/here.csv" in http_server.request_paths
    assert ("/elsewhere.csv" in http_server.request_paths) is off_site_requested
    stored = {p.name for p in (data_dir / "files").rglob("*.csv")}
    assert stored == ({"here.csv", "elsewhere.csv"} if off_site_requested else {"here.csv"})
