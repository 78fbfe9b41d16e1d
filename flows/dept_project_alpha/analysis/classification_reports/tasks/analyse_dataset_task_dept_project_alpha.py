"""Task wrapper: analyse one processed dataset (plan, train, draw, report; see ``analysis.pipeline``)."""

from __future__ import annotations

from airnub_prefect_starter.analysis.config import AnalysedDataset
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.analysis.pipeline import AnalysisLayout, analyse_dataset
from airnub_prefect_starter.tasks.retry_policy import batch_task
from airnub_prefect_starter.tasks.run_context import current_run_ids


@batch_task("Analyse dataset (Project Alpha)")
def analyse_dataset_task_dept_project_alpha(spec: AnalysedDataset, layout: AnalysisLayout) -> AnalysisOutcome:
    """A dataset analysed before with the same hash, sources and parameters, whose outputs are intact, comes
    back ``unchanged`` with nothing rewritten."""
    return analyse_dataset(spec, layout, current_run_ids())
