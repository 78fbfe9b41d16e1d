"""Project Alpha: ingestion -> processing -> analysis."""

DEPARTMENT = "project_alpha"
