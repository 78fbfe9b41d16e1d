"""The Prefect side of the package: task wrappers, runners and the glue the flows share.

Importing it applies :mod:`~airnub_prefect_starter.tasks.prefect_compat` (flow runs end without waiting up to
a second for the heartbeat thread), so every flow that uses these helpers gets it, in workers too.
"""

from airnub_prefect_starter.tasks import prefect_compat

prefect_compat.install()
