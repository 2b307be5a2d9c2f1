"""The live training fixtures (tests/live_fixtures.py) for this folder."""

from tests.live_fixtures import (  # noqa: F401
    deployment,
    final_statuses,
    queue_view_run,
    start_worker,
    tiny_library,
    tiny_snapshot,
    wait_for_status,
)
