"""Give freed large arrays back to the operating system.

glibc's malloc serves an allocation from its heap unless it is larger than
its mmap threshold, and it raises that threshold (up to 32 MB) each time a
large block is freed. A long series then leaves its many 2-30 MB arrays
(the test part's forecasts, bands, scales) in a heap that cannot shrink
past the newest of them: measured on the default fit of 10^7 points, the
peak resident memory was 1.65 GB with the default and 1.47 GB with a fixed
threshold of 4 MB (BENCHMARKS.md, memory). The command line sets it once at
start; a threshold the user set in ``MALLOC_MMAP_THRESHOLD_`` is kept.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

#: Blocks of this many bytes or more are mapped and unmapped on their own.
THRESHOLD = 4 << 20
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


def return_large_blocks(threshold: int = THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes; False (and nothing
    changed) on another C library or when the user set their own."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl, macOS, Windows: no mallopt
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, int(threshold)))
