"""What every benchmark does before it imports the project: `import _setup` first.

A benchmark runs as a script (`python bench/purge.py`), so Python puts bench/ first on the
path: the project root takes its place, so the project's packages import and no script's name
can shadow a module (a `bench/platform.py` once shadowed the standard library's `platform`
for every benchmark; the smoke test refuses such a name now). Importing this module also sets
Django up; a benchmark imported by another (`import_module("bench.report")`) finds it done.

A benchmark's erasures are written to the erasure ledger as in production, the copy outside
the database included: into a throwaway folder unless ERASURE_LEDGER_DIR names one, so they
never mix with a developer's own ledger.

It imports `_measure` (the load and the baseline's spread on every `BENCH` line) while bench/
is still on the path, so `from _measure import Bench` works in every benchmark after it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import _measure  # noqa: F401  (before the path changes: see above)
import django

ROOT = Path(__file__).resolve().parent.parent

sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyops.settings")
if "ERASURE_LEDGER_DIR" not in os.environ:
    # Removed when the process exits.
    _ledger_copy = tempfile.TemporaryDirectory(prefix="bench-erasure-ledger-")
    os.environ["ERASURE_LEDGER_DIR"] = _ledger_copy.name

django.setup()
