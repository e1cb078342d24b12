# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Where things are: the bench and repository directories, the build, the agent
binary (AGENT, replaced by a private copy by snapshot_agent(): read it as
paths.AGENT at the time of use, never imported by name)."""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
BUILD = Path(os.environ.get("WS_BUILD_DIR", REPO / "build"))
AGENT = BUILD / "wirespan"
OUT = BENCH / "out"
PY = "/usr/bin/python3"


def snapshot_agent():
    """Runs a copy of build/wirespan: others may rebuild it during a long run, and
    perf must resolve symbols against the binary that ran."""
    global AGENT
    d = Path(tempfile.mkdtemp(prefix="wirespan-bench-bin-"))
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    dst = d / "wirespan"
    shutil.copy2(AGENT, dst)
    AGENT = dst
