"""Run the property tests of clean_text and fix_mojibake with 10,000 examples each.

    uv run python bench/properties.py

Prints pytest's summary (failures, if any, with Hypothesis's minimal example) and the
time each property took. The suite itself runs 300 examples per property.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/cleaners/test_properties.py",
    "tests/cleaners/test_mojibake.py::test_same_as_pinned_ftfy_outside_the_added_repairs",
    "tests/cleaners/test_mojibake.py::test_fast_path_never_skips_a_line_ftfy_would_change",
]

if __name__ == "__main__":
    env = {**os.environ, "HYPOTHESIS_PROFILE": "bench"}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--durations=0",
        "--timeout=3600",
        "-o",
        "addopts=",
        *TESTS,
    ]
    sys.exit(subprocess.call(cmd, cwd=ROOT, env=env))
