"""What every benchmark records beside its figures: the machine it ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import polars as pl


def describe() -> str:
    """CPU model, cores, memory and the Python and polars versions, on one line."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024**2:.0f} GiB RAM; "
        f"Python {platform.python_version()}, polars {pl.__version__}"
    )
