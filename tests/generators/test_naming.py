"""Ids the generators accept, the names they derive, and the import order they render."""

from __future__ import annotations

import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.naming import (
    CategoryNames,
    DepartmentNames,
    check_category_id,
    check_department_id,
    check_display_name,
)
from airnub_prefect_starter.generators.rendering import natural_key, render


@pytest.mark.parametrize("value", ["9lives", "Beta", "has-dash", "a__b", "trailing_", "class", "x" * 31, ""])
def test_department_id_refuses_what_cannot_be_a_module_name(value: str) -> None:
    with pytest.raises(ConfigError, match=r"department '.*': (must be a lower-case Python identifier|at most 30)"):
        check_department_id(value)


def test_department_id_accepts_the_dept_prefix() -> None:
    assert check_department_id("dept_beta") == "beta"


@pytest.mark.parametrize("value", ["http", "task_runner", "batch_size", "model_extra", "copy", "json"])
def test_category_id_refuses_stage_keys_and_pydantic_attributes(value: str) -> None:
    with pytest.raises(ConfigError, match="reserved"):
        check_category_id(value)


@pytest.mark.parametrize("value", ["a/b", 'say "hi"', "back\\slash", "tab\there", "x" * 61, "   "])
def test_display_name_refuses_what_breaks_flow_names_or_literals(value: str) -> None:
    with pytest.raises(ConfigError, match="display name"):
        check_display_name(value)


def test_category_names_follow_the_house_convention() -> None:
    names = CategoryNames(DepartmentNames("beta", "Beta Team"), "ingestion", "weather_files", "downloads")

    assert (names.flow_module, names.task_module, names.data_source_name, names.storage_base) == (
        "download_weather_files_flow_dept_beta",
        "download_weather_files_task_dept_beta",
        "beta_weather_files",
        "dept_beta/ingestion",
    )


def test_natural_key_orders_module_paths_as_ruff_sorts_imports() -> None:
    paths = [".ab.x", ".a_b.x", ".a10.x", ".a.x", ".a2.x", ".ap_i.x", ".api.x"]

    assert sorted(paths, key=natural_key) == [".a.x", ".a2.x", ".a10.x", ".a_b.x", ".ab.x", ".ap_i.x", ".api.x"]


def test_render_refuses_python_lines_longer_than_ruff_allows() -> None:
    long_id = "abcdefghij_abcdefghij_abcdefgh"

    with pytest.raises(ConfigError, match=r"ids too long together: a line of category/test_tabular\.py"):
        render(
            "category/test_tabular.py.j2",
            dept=long_id,
            cat=long_id,
            dataset=long_id,
            data_source_name=f"{long_id}_{long_id}",
            item=f"{long_id}_{long_id}_{long_id}",
            format="csv",
            sample_file=None,
        )
