"""The contract every stage shares: outcomes, one generic result, artifact content, events, the stage contract.

Each stage package (``ingestion``, ``processing``, ``analysis``) fills in a
:class:`~airnub_prefect_starter.stages.contract.StageContract`; the one stage runner and the one category runner
in ``tasks/`` work from it, whatever the stage.
"""
