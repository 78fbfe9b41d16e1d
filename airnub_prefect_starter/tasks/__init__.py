"""The Prefect side of the package: the one stage runner, the one category runner, task runners, retries,
artifacts, events, secrets and pull steps. Importing it has no side effects: entry points install the Prefect
fix of :mod:`~airnub_prefect_starter.tasks.prefect_compat` themselves."""
