"""The command line gives freed large arrays back to the system (glibc's
mmap threshold fixed at 4 MB), so a long series' peak memory does not keep
every temporary array it made."""

import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent("""
    import sys
    import numpy as np
    from lstmcast.core.heap import return_large_blocks
    if sys.argv[1] == "fixed":
        assert return_large_blocks()
    def rss():
        with open("/proc/self/status") as fh:
            line = next(x for x in fh if x.startswith("VmRSS"))
        return int(line.split()[1]) // 1024
    big = np.ones(30 << 17); del big  # glibc raises its threshold to 30 MB
    before = rss()
    blocks = [np.ones(1 << 20) for _ in range(10)]  # 8 MB each, 80 MB
    pins = [np.ones(1000) for _ in range(50)]  # small blocks above them
    del blocks
    print(rss() - before)
""")


def _held_mb(mode: str, **env: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True,
                         text=True, check=True, env={**os.environ, **env})
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_freed_large_arrays_leave_the_process_with_the_fixed_threshold():
    assert _held_mb("default") >= 60  # glibc's own: kept in the heap
    assert _held_mb("fixed") <= 8


def test_a_threshold_the_user_set_is_kept(monkeypatch):
    from lstmcast.core.heap import return_large_blocks
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert return_large_blocks() is False
