"""Named points of a load where the crash tests stop `plait ingest` before killing it.

A load must leave the warehouse as it was before the file whenever the process dies
(tests/etl/test_crash_and_concurrency.py kills it with SIGKILL). Timing alone cannot say
where a kill lands, so each point of interest calls `reached(name)`: when
`$PLAIT_INGEST_PAUSE_AT` names it (`name`, or `name:N` for its N-th passage), the process
says so on stderr and sleeps until it is killed. Unset, a call costs one dictionary look-up.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter

PAUSE_ENV = "PLAIT_INGEST_PAUSE_AT"
PAUSED = "plait: paused at"
_passed: Counter[str] = Counter()


def reached(point: str) -> None:
    """Pause here for good if the environment asks for this point (see the module doc)."""
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != point:
        return
    _passed[point] += 1
    if _passed[point] != int(nth or 1):
        return
    print(f"{PAUSED} {wanted}", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)
