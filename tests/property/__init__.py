"""Property-based tests (hypothesis) for the loader, the locator, the findings and the reporters.

Every test takes its settings from `PROPERTY`: no example database, no per-example
deadline (a slow CI machine must not make a test flaky) and a bounded number of examples
so the directory stays fast. Hypothesis's other caches (the constants it collects from
the code under test, failure patches) go to the git-ignored `.cache/hypothesis` instead
of a `.hypothesis/` directory in the working tree, unless HYPOTHESIS_STORAGE_DIRECTORY
says otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / ".cache" / "hypothesis")

PROPERTY = settings(database=None, deadline=None, max_examples=100)
