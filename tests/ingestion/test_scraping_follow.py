"""files_to_follow: which links of a scraped page are downloaded, and which of them get follow_links.auth."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from airnub_prefect_starter.core.http.auth import SourceAuth
from airnub_prefect_starter.ingestion.config import LinkFollowing
from airnub_prefect_starter.ingestion.links import ExtractedLink
from airnub_prefect_starter.ingestion.scraping import files_to_follow

PAGE = "https://site.example/files/"
AUTH = SourceAuth(bearer_secret_block="followed-token")
LINKS = [
    "https://site.example/a.bin",  # the page's origin
    "https://SITE.example:443/b.bin",  # the same origin, written otherwise
    "https://site.example:8443/c.bin",  # another port
    "http://site.example/d.bin",  # another scheme
    "https://cdn.example.org/e.bin",
    "http://cdn.example.org/f.bin",  # from an https page down to http
    "https://elsewhere.example.com/g.bin",
]


def _authed(auth_hosts: list[str]) -> dict[str, bool]:
    follow = LinkFollowing(patterns=[r"\.bin$"], auth=AUTH, auth_hosts=auth_hosts)
    files = files_to_follow([(PAGE, PAGE, [ExtractedLink(url=u, title="") for u in LINKS])], follow)
    assert len(files) == len(LINKS)  # every link is downloaded, with or without the credentials
    return {f.name: f.auth is not None for f in files}


def test_files_to_follow_sends_auth_to_the_pages_origin_only_by_default() -> None:
    assert _authed([]) == {
        "a.bin": True,
        "b.bin": True,
        "c.bin": False,
        "d.bin": False,
        "e.bin": False,
        "f.bin": False,
        "g.bin": False,
    }


@pytest.mark.parametrize("auth_hosts", [["cdn.example.org"], [".example.org"], ["CDN.example.org."]])
def test_files_to_follow_sends_auth_to_auth_hosts_but_never_down_to_http(auth_hosts: list[str]) -> None:
    authed = _authed(auth_hosts)

    assert (authed["e.bin"], authed["f.bin"], authed["g.bin"]) == (True, False, False)


def test_link_following_refuses_auth_hosts_without_auth() -> None:
    with pytest.raises(ValidationError, match="auth_hosts is set but auth is not"):
        LinkFollowing(patterns=["x"], auth_hosts=["cdn.example.org"])


@pytest.mark.parametrize("host", ["https://cdn.example.org", "cdn.example.org/files", "user@cdn.example.org", ""])
def test_link_following_refuses_an_auth_host_that_is_not_a_host(host: str) -> None:
    with pytest.raises(ValidationError, match="auth_hosts.0"):
        LinkFollowing(patterns=["x"], auth=AUTH, auth_hosts=[host])


@pytest.mark.parametrize("site_page_first", [True, False])
def test_files_to_follow_sends_auth_with_a_link_two_pages_list_whatever_their_order(site_page_first: bool) -> None:
    link = [ExtractedLink(url="https://site.example/x.bin", title="x")]
    pages = [(PAGE, PAGE, link), ("https://other.example/list/", "https://other.example/list/", link)]
    follow = LinkFollowing(patterns=[r"\.bin$"], auth=AUTH)

    files = files_to_follow(pages if site_page_first else pages[::-1], follow)

    assert [(f.url, f.auth, f.source_page_url) for f in files] == [("https://site.example/x.bin", AUTH, PAGE)]


def test_files_to_follow_skips_a_link_already_listed_even_when_a_page_qualifies_it_for_auth() -> None:
    link = [ExtractedLink(url="https://site.example/x.bin", title="x")]
    follow = LinkFollowing(patterns=[r"\.bin$"], auth=AUTH)

    assert files_to_follow([(PAGE, PAGE, link)], follow, already=["https://site.example/x.bin"]) == []


def test_files_to_follow_sends_auth_to_the_https_links_of_a_page_redirected_from_http_to_https() -> None:
    links = [
        ExtractedLink(url="https://site.example/a.bin", title=""),
        ExtractedLink(url="http://site.example/b.bin", title=""),
    ]
    follow = LinkFollowing(patterns=[r"\.bin$"], auth=AUTH)

    files = files_to_follow([("http://site.example/files/", "https://site.example/files/", links)], follow)

    assert {f.name: f.auth is not None for f in files} == {"a.bin": True, "b.bin": False}


def test_files_to_follow_keeps_the_configured_origin_for_auth_when_the_page_moved_to_another_origin() -> None:
    links = [ExtractedLink(url="https://moved.example/a.bin", title=""), ExtractedLink(url=f"{PAGE}b.bin", title="")]
    follow = LinkFollowing(patterns=[r"\.bin$"], auth=AUTH)

    files = files_to_follow([(PAGE, "https://moved.example/files/", links)], follow)

    assert {f.name: f.auth is not None for f in files} == {"a.bin": False, "b.bin": True}


def test_link_following_refuses_an_auth_host_suffix_of_one_label() -> None:
    with pytest.raises(ValidationError, match=r"auth_hosts\.0\n.*'\.com' matches every host under a top-level"):
        LinkFollowing(patterns=["x"], auth=AUTH, auth_hosts=[".com"])
