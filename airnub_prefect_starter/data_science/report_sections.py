"""The report's sections that describe data and models: the rows each part describes, the held-out metrics of a
classifier or a regressor and the dataset's descriptive statistics, as blocks for
:mod:`~airnub_prefect_starter.data_science.report_rendering`."""

from __future__ import annotations

from airnub_prefect_starter.data_science.dataset_profile import DatasetProfile
from airnub_prefect_starter.data_science.describe import CategoricalSummary
from airnub_prefect_starter.data_science.modeling.metadata import ModelMetadata, RegressionMetrics
from airnub_prefect_starter.data_science.report_rendering import Block, Heading, Paragraph, Table

__all__ = ["metric_names", "metric_sections", "no_model_section", "rows_section", "statistics_sections"]


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def metric_names(model: ModelMetadata) -> tuple[str, ...]:
    """The metrics the report shows for ``model`` (its lineage names each)."""
    if model.task == "regression":
        return ("R²", "MAE", "RMSE")
    return ("accuracy", "macro F1", "per-class precision/recall/F1", "confusion matrix")


def metric_sections(model: ModelMetadata) -> list[Block]:
    """Held-out scores: a regressor's R², MAE and RMSE; a classifier's accuracy, macro F1, per-class scores and
    confusion matrix."""
    metrics = model.metrics
    about = (
        ("train / test rows", f"{metrics.n_train} / {metrics.n_test}"),
        ("model", f"{model.model_kind} {model.task} of {model.table_schema.target} ({model.model_file})"),
    )
    if isinstance(metrics, RegressionMetrics):
        scores = (("R²", f"{metrics.r2:.4f}"), ("MAE", f"{metrics.mae:.4g}"), ("RMSE", f"{metrics.rmse:.4g}"))
        return [Heading(2, "Metrics (held-out split)"), Table(("metric", "value"), (*scores, *about))]
    per_class = Table(
        ("class", "precision", "recall", "F1", "support"),
        tuple(
            (name, f"{s.precision:.4f}", f"{s.recall:.4f}", f"{s.f1:.4f}", str(s.support))
            for name, s in metrics.per_class.items()
        ),
    )
    confusion = Table(
        ("true \\ predicted", *metrics.labels),
        tuple((label, *map(str, row)) for label, row in zip(metrics.labels, metrics.confusion_matrix, strict=True)),
    )
    return [
        Heading(2, "Metrics (held-out split)"),
        Table(
            ("metric", "value"),
            (("accuracy", f"{metrics.accuracy:.4f}"), ("macro F1", f"{metrics.f1_macro:.4f}"), *about),
        ),
        Heading(3, "Per class"),
        per_class,
        Heading(3, "Confusion matrix"),
        confusion,
    ]


def no_model_section() -> list[Block]:
    return [
        Heading(2, "Model"),
        Paragraph(
            "No model: the analysis names no target. Declare schema.target in the processing config, or give the "
            "analysis a target, for a classifier (int, str, category or bool target) or a regression (float target) "
            "scored on held-out rows."
        ),
    ]


def rows_section(profile: DatasetProfile, *, model: bool) -> list[Block]:
    """Which rows each part of the report describes: the statistics all of them; the model (when there is one)
    and the figures a seeded sample of those with a target, or all of them; and how many rows have no target."""
    sample = profile.sample
    sentences = [f"The statistics describe all {profile.rows:,} rows of the dataset."]
    if profile.target is not None and profile.target_missing:
        sentences.append(
            f"{profile.target_missing:,} rows have no value of the target {profile.target}: the model and the "
            "figures leave them out."
        )
    used = sample.describe("rows with a target" if profile.target_missing else "rows")
    if model:
        sentences.append(f"The model was trained and scored on {used}; the figures are drawn from the same rows.")
    else:
        sentences.append(f"The figures are drawn from {used}.")
    return [Heading(2, "Rows"), Paragraph(" ".join(sentences))]


def statistics_sections(profile: DatasetProfile) -> list[Block]:
    """Per column by type (numeric, categorical, dates) over every row of the dataset, then a classifier's
    target counted by class (not summarised with the other columns)."""
    described = profile.description
    classified = profile.target if profile.classes else None
    numeric = [s for s in described.numeric if s.column != classified]
    categorical = [s for s in described.categorical if s.column != classified]
    blocks: list[Block] = [Heading(2, "Descriptive statistics")]
    if numeric:
        blocks.append(
            Table(
                ("column", "count", "missing", "mean", "std", "min", "25%", "50%", "75%", "max"),
                tuple(
                    (s.column, str(s.count), str(s.missing), *map(_number, (s.mean, s.std, s.min, s.q25)))
                    + tuple(map(_number, (s.median, s.q75, s.max)))
                    for s in numeric
                ),
            )
        )
    if categorical:
        blocks += [
            Heading(3, "Categorical columns"),
            Table(
                ("column", "count", "missing", "distinct", "most frequent values (rows)"),
                tuple((s.column, str(s.count), str(s.missing), *_distinct_and_top(s)) for s in categorical),
            ),
        ]
    if described.temporal:
        blocks += [
            Heading(3, "Dates"),
            Table(
                ("column", "count", "missing", "earliest", "latest"),
                tuple(
                    (s.column, str(s.count), str(s.missing), s.earliest or "-", s.latest or "-")
                    for s in described.temporal
                ),
            ),
        ]
    if profile.classes:
        balance = tuple((c.name, str(c.rows)) for c in profile.classes)
        blocks += [Heading(3, "Class balance"), Table(("class", "rows"), balance)]
    return blocks


def _distinct_and_top(summary: CategoricalSummary) -> tuple[str, str]:
    if summary.approximate:
        return f"about {summary.distinct:,}", "not counted: too many distinct values"
    return str(summary.distinct), "; ".join(f"{v} ({n})" for v, n in summary.top)
