"""``airnub limits setup``: each configured host's Prefect limits, with the strictest value of the categories that
reach it; updated when a config changes, kept when not; nothing written on a dry run."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from click.testing import Result
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound

INGESTION = Path("variables/dept_project_alpha/ingestion_config_dept_project_alpha.yaml")


def _configure(config_dir: Path, files_host: str, pages_host: str, *, files_limit: int) -> None:
    """Downloads and API polls on ``files_host`` (limits ``files_limit`` and 2, a rate on the downloads only), the
    scraped pages on ``pages_host`` (the stage's limit)."""
    path = config_dir / INGESTION
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    data["http"]["per_host_limit"] = 5
    data["scheduled_file_downloads"]["http"] = {"per_host_limit": files_limit, "per_host_rate": 2.5}
    data["public_api_data"]["http"] = {"per_host_limit": 2}
    for section, items, host in (
        ("scheduled_file_downloads", "files_to_acquire", files_host),
        ("public_api_data", "apis_to_poll", files_host),
        ("web_page_link_scraping", "pages_to_scrape", pages_host),
    ):
        for number, item in enumerate(data[section][items]):
            item["url"] = f"https://{host}/{section}/{number}"
    path.write_text(yaml.safe_dump(data))


def _limits(*names: str) -> dict[str, tuple[int, float] | None]:
    found: dict[str, tuple[int, float] | None] = {}
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                limit = client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                found[name] = None
            else:
                found[name] = (limit.limit, limit.slot_decay_per_second)
    return found


def test_limits_setup_creates_the_strictest_limits_of_each_host_then_updates_and_keeps_them(
    airnub: Callable[..., Result], config_dir: Path
) -> None:
    files, pages = (f"h-{uuid.uuid4().hex[:10]}.example.org" for _ in range(2))
    names = (f"airnub-host-{files}", f"airnub-rate-{files}", f"airnub-host-{pages}", f"airnub-rate-{pages}")
    _configure(config_dir, files, pages, files_limit=3)

    dry = airnub("limits", "setup", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert f" created  airnub-host-{files}: 2 at once" in dry.stdout
    assert _limits(*names) == dict.fromkeys(names)

    created = airnub("limits", "setup")
    assert created.exit_code == 0, created.stderr
    assert _limits(*names) == {names[0]: (2, 0.0), names[1]: (1, 2.5), names[2]: (5, 0.0), names[3]: None}
    assert f" created  airnub-rate-{files}: 2.5 requests/s" in created.stdout
    assert "AIRNUB_HOST_LIMITS is not 'prefect' here" in created.stdout

    _configure(config_dir, files, pages, files_limit=1)
    again = airnub("limits", "setup")
    assert again.exit_code == 0, again.stderr
    assert f" updated  airnub-host-{files}: 1 at once" in again.stdout
    assert f"    kept  airnub-host-{pages}: 5 at once" in again.stdout
    assert _limits(names[0]) == {names[0]: (1, 0.0)}
