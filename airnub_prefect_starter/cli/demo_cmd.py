"""``airnub demo``: Project Alpha end to end against the bundled offline source, nothing else running:
ingestion -> processing -> analysis, each stage timed, then where everything is (``s3://`` URLs with the data dir
on object storage)."""

from __future__ import annotations

import json
import os
import time
from typing import Annotated, Any

import typer
from rich.markup import escape

from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.cli.output import EXIT_FAILED, EXIT_OK, err, fail, live_progress, out, print_stage
from airnub_prefect_starter.common.settings import AirnubSettings, load_settings
from airnub_prefect_starter.core.errors import AirnubError, StageFailedError
from airnub_prefect_starter.ingestion.outcome import ItemOutcome
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.registry.config_files import StageConfigFile
from airnub_prefect_starter.stages.results import StageResult

__all__ = ["demo"]

DEMO_DEPARTMENT = "project_alpha"
CONFIGURED_BASE_URL = "http://127.0.0.1:18765"


def _rebased(file: StageConfigFile, base_url: str) -> StageConfigFile:
    """The file with the demo source's configured address replaced by the one actually bound."""
    if base_url == CONFIGURED_BASE_URL:
        return file
    text = (
        json.dumps(file.value)
        .replace(CONFIGURED_BASE_URL, base_url)
        .replace(CONFIGURED_BASE_URL.replace(".", "\\\\."), base_url.replace(".", "\\\\."))
    )
    return StageConfigFile(file.path, file.department, file.stage, file.variable_name, json.loads(text), file.model)


def _run_stage(stage: str) -> tuple[Any, float]:
    """Run one stage from its Variable with live progress; its result (also when it failed) and wall time."""
    from airnub_prefect_starter.cli.stage_invocation import run_stage

    started = time.monotonic()
    with live_progress():
        try:
            result: Any = run_stage(DEMO_DEPARTMENT, stage, None, None)
        except StageFailedError as exc:
            result = exc.result
    return result, time.monotonic() - started


def demo(
    port: Annotated[
        int | None, typer.Option(help="Port of the demo source (default: AIRNUB_DEMO_PORT or 18765).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's INFO logs on the console.")] = False,
) -> None:
    """Start the demo source on 127.0.0.1, sync the Variables, run Project Alpha, and show where it all is."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from airnub_prefect_starter.cli.prefect_api import require_prefect_api
    from airnub_prefect_starter.cli.stage_invocation import describe_prefect_api
    from airnub_prefect_starter.cli.variables_cmd import load_all_config_files, sync_variables
    from airnub_prefect_starter.demo.server import DemoSource, demo_port_from_env
    from airnub_prefect_starter.tasks.object_storage import check_object_storage
    from airnub_prefect_starter.tasks.secrets import storage_credentials

    settings = load_settings()
    data_dir = settings.resolved_data_dir
    try:
        files = load_all_config_files()
        require_prefect_api()  # a configured API that is down: one line, before the source starts
        check_object_storage(settings, storage_credentials(settings))  # one line, before anything starts
        source = DemoSource(port if port is not None else demo_port_from_env()).start()
    except (AirnubError, OSError) as exc:
        fail(str(exc))
    try:
        out.print(f"Demo source serving real datasets at [bold]{source.base_url}[/]")
        err.print(describe_prefect_api(), highlight=False, markup=False, soft_wrap=True)
        demo_files = [_rebased(f, source.base_url) for f in files if f.department == DEMO_DEPARTMENT]
        synced = sync_variables(demo_files, dry_run=False, overwrite=True, show_diff=False)
        out.print("Prefect Variables: " + ", ".join(f"{name} ({status})" for name, status in synced.items()))
        result, seconds = _run_stage("ingestion")
    except AirnubError as exc:
        fail(str(exc), EXIT_FAILED)
    finally:
        source.stop()
    print_stage(result, f"{result.department}: ingestion ({seconds:.1f} s)", data_dir)
    try:
        processing, processing_s = _run_stage("processing")
        print_stage(processing, f"{processing.department}: processing ({processing_s:.1f} s)", data_dir)
        analysis, analysis_s = _run_stage("analysis")
        print_stage(analysis, f"{analysis.department}: analysis ({analysis_s:.1f} s)", data_dir)
    except AirnubError as exc:
        fail(str(exc), EXIT_FAILED)
    _print_locations(settings, result, processing, analysis)
    out.print(
        f"Stage wall times: ingestion {seconds:.1f} s, processing {processing_s:.1f} s, analysis {analysis_s:.1f} s"
    )
    failed = result.failed or processing.failed or analysis.failed
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def _print_locations(
    settings: AirnubSettings,
    result: StageResult[ItemOutcome],
    processing: StageResult[DatasetOutcome],
    analysis: StageResult[AnalysisOutcome],
) -> None:
    """Where everything is: on object storage, the ``s3://`` URLs (outputs were computed in the working copy and
    pushed there)."""

    def shown(path: str | None) -> str:
        return settings.location_of(path) if path else ""

    stores = sorted({os.path.dirname(os.path.dirname(os.path.dirname(o.path))) for o in result.outcomes if o.path})
    copy = f"  (working copy: {settings.resolved_data_dir})" if settings.data_url else ""
    out.print(f"[bold]Data dir[/]        {settings.data_root}{copy}")
    for store in stores:
        out.print(f"[bold]CAS[/]             {store}  (<data_source>/<sha256>/<file> + .manifest.json)")
    out.print(f"[bold]Manifest index[/]  {escape(settings.index_shown)}")
    for d in processing.outcomes:
        if d.path:
            out.print(
                f"[bold]Dataset[/]         {shown(d.path)}  ({d.rows_out} rows, {d.rows_quarantined} quarantined)"
            )
    analysed = [o for o in analysis.outcomes if not o.failed]
    for o in analysed:
        out.print(f"[bold]Model[/]           {shown(o.model_path)}  (metrics: {shown(o.metrics_path)})")
    for folder in sorted({os.path.dirname(shown(f)) for o in analysed for f in o.figures}):
        out.print(f"[bold]Figures[/]         {folder}")
    for o in analysed:
        out.print(f"[bold]Report[/]          {shown(o.report_html)}  (Markdown: {shown(o.report_markdown)})")
    out.print(
        "Run it again: unchanged sources cost one conditional request each, and processing and analysis find "
        "nothing new to do. Inspect: `airnub manifest list`."
    )
