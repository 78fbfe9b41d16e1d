"""Publish the artifact values a stage's contract builds (pure, in ``stages/`` and each stage package)."""

from __future__ import annotations

from collections.abc import Iterable

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from airnub_prefect_starter.stages.artifacts import Artifact, LinkArtifact, MarkdownArtifact, TableArtifact

__all__ = ["publish_artifacts"]


def publish_artifacts(artifacts: Iterable[Artifact]) -> None:
    """Create each artifact in the current flow run."""
    for artifact in artifacts:
        match artifact:
            case MarkdownArtifact():
                create_markdown_artifact(artifact.markdown, key=artifact.key, description=artifact.description)
            case TableArtifact():
                create_table_artifact(artifact.rows, key=artifact.key, description=artifact.description)
            case LinkArtifact():
                create_link_artifact(
                    artifact.link, link_text=artifact.link_text, key=artifact.key, description=artifact.description
                )
