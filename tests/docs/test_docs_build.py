"""The documentation site builds with ``mkdocs build --strict`` (broken links, anchors and missing pages fail),
and the README links into it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.project_copy import REPO_ROOT

pytestmark = pytest.mark.slow


def mkdocs_build(project: Path, site_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_mkdocs_build_strict_succeeds(tmp_path: Path) -> None:
    site = tmp_path / "site"

    result = mkdocs_build(REPO_ROOT, site)

    assert result.returncode == 0, result.stderr
    config_page = (site / "reference" / "config.html").read_text(encoding="utf-8")
    assert 'id="dept-project-alpha-ingestionstageconfig"' in config_page and 'id="httpoverrides"' in config_page
    assert 'id="airnub-config-schema"' in (site / "reference" / "cli.html").read_text(encoding="utf-8")
    assert (site / "assets" / "screenshots" / "prefect-flow-run.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("page", "addition", "complaint"),
    [
        ("concepts.md", "[gone](no-such-page.md)", "no-such-page.md"),
        ("concepts.md", "[gone](configuration.md#no-such-anchor)", "no-such-anchor"),
        ("orphan.md", "# A page missing from nav\n", "orphan.md"),
    ],
)
def test_mkdocs_build_strict_fails_on_broken_links_and_pages_outside_nav(
    tmp_path: Path, page: str, addition: str, complaint: str
) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "docs", project / "docs")
    shutil.copy(REPO_ROOT / "mkdocs.yml", project / "mkdocs.yml")
    with (project / "docs" / page).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{addition}\n")

    result = mkdocs_build(project, tmp_path / "site")

    assert result.returncode != 0
    assert complaint in result.stderr


def test_readme_links_into_existing_docs_pages_and_screenshot() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\((docs/[^)#\s]+)", readme)

    assert any(t.endswith(".png") for t in targets) and any(t.endswith(".md") for t in targets)
    assert [t for t in targets if not (REPO_ROOT / t).is_file()] == []
