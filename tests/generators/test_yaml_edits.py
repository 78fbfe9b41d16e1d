"""Structural YAML edits: the rest of the file survives byte for byte, and an edit only adds lines."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from ruamel.yaml.comments import CommentedMap

from airnub_prefect_starter.generators.yaml_edits import YamlDocument, add_deployments, add_mapping_entry
from tests.support.project_copy import REPO_ROOT

PREFECT_YAML = """\
# Deployments (comment kept).
name: demo
build: null
pull:
  - some.step: {}

definitions:
  work_pools:
    pool: &pool
      name: a-pool
    unused: &unused
      name: other
      job_variables:
        env:
          KEY: "quoted value"

deployments:
  # The first department.
  - name: alpha-ingestion
    entrypoint: flows/dept_alpha/ingestion_flow_dept_alpha.py:ingestion_flow_dept_alpha
    tags: [alpha, ingestion]
    schedules:
      - cron: "0 6 * * *"
    work_pool: *pool
"""

NEW_DEPLOYMENTS = """\
- name: beta-ingestion
  entrypoint: flows/dept_beta/ingestion_flow_dept_beta.py:ingestion_flow_dept_beta
  tags: [beta, ingestion]
  work_pool: null
"""


def first_pool(deployments: list[object]) -> object:
    return deployments[0]["work_pool"]  # type: ignore[index]


def only_inserted(before: str, after: str) -> list[str]:
    """The lines ``after`` adds to ``before``; fails if anything else changed."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    assert all(tag == "insert" for tag, *_ in changes), changes
    return [line for _tag, _i1, _i2, j1, j2 in changes for line in after.splitlines()[j1:j2]]


@pytest.mark.parametrize(
    "path", [Path("prefect.yaml"), Path("configs/department_mapping.yaml")], ids=["prefect-yaml", "mapping"]
)
def test_parse_reproduces_the_project_files_byte_for_byte(path: Path) -> None:
    text = (REPO_ROOT / path).read_text(encoding="utf-8")

    document = YamlDocument.parse(text, str(path))

    assert document.faithful and document.dump() == text


def test_add_deployments_only_adds_lines_and_shares_the_anchored_work_pool() -> None:
    document = YamlDocument.parse(PREFECT_YAML, "prefect.yaml")

    edit = add_deployments(document, document.snippet(NEW_DEPLOYMENTS), "prefect.yaml", first_pool)

    assert edit.conflict is None and edit.text is not None
    assert only_inserted(PREFECT_YAML, edit.text) == [
        "  - name: beta-ingestion",
        "    entrypoint: flows/dept_beta/ingestion_flow_dept_beta.py:ingestion_flow_dept_beta",
        "    tags: [beta, ingestion]",
        "    work_pool: *pool",
    ]
    assert yaml.safe_load(edit.text)["deployments"][1]["work_pool"] == {"name": "a-pool"}


def test_removing_added_deployments_restores_the_file_exactly() -> None:
    document = YamlDocument.parse(PREFECT_YAML, "prefect.yaml")
    edit = add_deployments(document, document.snippet(NEW_DEPLOYMENTS), "prefect.yaml", first_pool)
    assert edit.text is not None

    edited = YamlDocument.parse(edit.text, "prefect.yaml")
    del edited.data["deployments"][1]

    assert edited.dump() == PREFECT_YAML


def test_add_deployments_twice_changes_nothing() -> None:
    document = YamlDocument.parse(PREFECT_YAML, "prefect.yaml")
    first = add_deployments(document, document.snippet(NEW_DEPLOYMENTS), "prefect.yaml", first_pool)
    assert first.text is not None

    again = YamlDocument.parse(first.text, "prefect.yaml")
    second = add_deployments(again, again.snippet(NEW_DEPLOYMENTS), "prefect.yaml", first_pool)

    assert (second.text, second.conflict) == (None, None)


def test_add_deployments_refuses_a_same_named_deployment_with_other_content() -> None:
    document = YamlDocument.parse(PREFECT_YAML, "prefect.yaml")
    clash = NEW_DEPLOYMENTS.replace("beta-ingestion", "alpha-ingestion")

    edit = add_deployments(document, document.snippet(clash), "prefect.yaml", first_pool)

    assert edit.text is None
    assert edit.conflict == "prefect.yaml: deployment 'alpha-ingestion' exists with other content"


def test_add_mapping_entry_appends_and_keeps_comments() -> None:
    text = "# Departments.\ndepartments:\n  alpha:\n    display_name: Alpha  # shown in flow names\n"
    document = YamlDocument.parse(text, "mapping")

    edit = add_mapping_entry(document, ("departments",), "beta", CommentedMap(display_name="Beta"), "mapping")

    assert edit.text == text + "  beta:\n    display_name: Beta\n"


def test_add_mapping_entry_refuses_a_file_the_round_trip_would_reformat() -> None:
    text = "departments:\n   alpha:\n         display_name: Alpha\n"
    document = YamlDocument.parse(text, "mapping")

    edit = add_mapping_entry(document, ("departments",), "beta", CommentedMap(display_name="Beta"), "mapping")

    assert not document.faithful
    assert edit.text is None
    assert edit.conflict == "mapping: a YAML round-trip would reformat the file; edit it by hand"


def test_add_mapping_entry_refuses_an_entry_with_other_content() -> None:
    text = "departments:\n  alpha:\n    display_name: Alpha\n"
    document = YamlDocument.parse(text, "mapping")

    edit = add_mapping_entry(document, ("departments",), "alpha", CommentedMap(display_name="Other"), "mapping")

    assert edit.text is None
    assert edit.conflict == "mapping: 'departments.alpha' exists with other content"
